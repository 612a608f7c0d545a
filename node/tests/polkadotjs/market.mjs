// Offload from @polkadot/api alone: no type definitions, no types.json. Everything below is
// decoded from the dev node's metadata; only the offload_* JSON-RPC methods are described to
// the API by hand, as any node-specific RPC must be.
//
// node market.mjs ws://127.0.0.1:9944
//
// Bob plays the provider and Alice the requester: Bob registers and publishes an offer, Alice
// uploads a program and submits a job, Bob acknowledges it and submits the result, and the job
// settles. Then every ComputeApi runtime API is called through api.call and every offload_*
// method through api.rpc. Each step checks what it got; any failure exits non-zero.

import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex, stringToU8a } from '@polkadot/util';
import { blake2AsHex, cryptoWaitReady } from '@polkadot/util-crypto';
import assert from 'node:assert/strict';

const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
const UNIT = 10n ** 12n;

// The offload_* methods, as a user describes them to @polkadot/api (docs/integrators.md).
const at = { name: 'at', type: 'Hash', isOptional: true };
const rpc = {
  offload: {
    quote: { description: 'Price and providers for a job spec', params: [{ name: 'spec', type: 'Json' }, at], type: 'Json' },
    providers: {
      description: 'Providers matching a filter, paged',
      params: [
        { name: 'filter', type: 'Json', isOptional: true },
        { name: 'after', type: 'Text', isOptional: true },
        { name: 'limit', type: 'u32', isOptional: true },
        at,
      ],
      type: 'Json',
    },
    job: { description: 'A job', params: [{ name: 'id', type: 'u64' }, at], type: 'Json' },
    stats: { description: 'Market totals', params: [at], type: 'Json' },
    rewards: { description: 'The reward era and an account\'s unclaimed eras', params: [{ name: 'who', type: 'Text' }, at], type: 'Json' },
    subscriptions: { description: 'An account\'s subscriptions', params: [{ name: 'who', type: 'Text' }, at], type: 'Json' },
    datasets: {
      description: 'Registered datasets, paged',
      params: [
        { name: 'owner', type: 'Text', isOptional: true },
        { name: 'from', type: 'u64', isOptional: true },
        { name: 'limit', type: 'u32', isOptional: true },
        at,
      ],
      type: 'Json',
    },
  },
};

function step(text) {
  console.log(`polkadot.js: ${text}`);
}

// Signs and sends, resolves with the events of the finalized block, rejects on a dispatch error.
function send(api, tx, signer) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, ({ status, dispatchError, events }) => {
      if (dispatchError) {
        const named = dispatchError.isModule ? api.registry.findMetaError(dispatchError.asModule) : null;
        reject(new Error(named ? `${named.section}.${named.name}: ${named.docs.join(' ')}` : dispatchError.toString()));
      } else if (status.isFinalized) {
        resolve(events.map(({ event }) => event));
      }
    }).catch(reject);
  });
}

function find(events, section, method) {
  const event = events.find((e) => e.section === section && e.method === method);
  assert.ok(event, `no ${section}.${method} among ${events.map((e) => `${e.section}.${e.method}`).join(', ')}`);
  return event;
}

await cryptoWaitReady();
const api = await ApiPromise.create({ provider: new WsProvider(url), rpc, noInitWarn: true, throwOnConnect: true });

// The chain describes itself.
const properties = (await api.rpc.system.properties()).toHuman();
assert.equal(properties.tokenSymbol[0], 'OFL');
assert.equal(properties.tokenDecimals[0], '12');
assert.equal(properties.ss58Format, '42');
assert.equal(api.runtimeVersion.specName.toString(), 'offload');
step(`connected to ${(await api.rpc.system.chain()).toString()}, ${properties.tokenSymbol[0]} with ${properties.tokenDecimals[0]} decimals`);

// Every call, event, error and storage item of the compute pallets carries documentation, so
// apps shows it.
for (const pallet of api.runtimeMetadata.asLatest.pallets.filter((p) => ['Registry', 'Market', 'Escrow', 'Reputation', 'Rewards', 'Subscriptions', 'Datasets'].includes(p.name.toString()))) {
  const name = pallet.name.toString();
  for (const kind of ['calls', 'events', 'errors']) {
    if (pallet[kind].isNone) continue;
    const variants = api.registry.lookup.getSiType(pallet[kind].unwrap().type).def.asVariant.variants;
    for (const variant of variants) {
      assert.ok(variant.docs.length > 0, `${name}.${kind}.${variant.name} has no docs`);
    }
  }
  if (pallet.storage.isSome) {
    for (const item of pallet.storage.unwrap().items) {
      assert.ok(item.docs.length > 0, `${name} storage ${item.name} has no docs`);
    }
  }
}
step('every call, event, error and storage item of Registry, Market, Escrow, Reputation, Rewards, Subscriptions and Datasets is documented');

const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
const alice = keyring.addFromUri('//Alice');
const bob = keyring.addFromUri('//Bob');

// Bob registers as a provider, then publishes a changed offer.
const offer = {
  resources: { cpuMillicores: 4000, memoryMib: 8192, storageGib: 20, gpus: 0 },
  wasm: true,
  container: false,
  prices: { perMillionFuel: 100n * 10n ** 9n, perSecond: 0, basePerJob: 10n * 10n ** 9n },
  maxConcurrent: 2,
  region: 'DE',
  encryptionKey: u8aToHex(new Uint8Array(32).fill(1)),
  endpoint: 'http://127.0.0.1:9/results',
};
const minBond = api.consts.registry.minBond.toBigInt();
let events = await send(api, api.tx.registry.register(offer, minBond), bob);
find(events, 'registry', 'ProviderRegistered');
events = await send(api, api.tx.registry.updateOffer({ ...offer, maxConcurrent: 3 }), bob);
find(events, 'registry', 'OfferUpdated');
const record = (await api.query.registry.providers(bob.address)).unwrap();
assert.equal(record.offer.maxConcurrent.toNumber(), 3);
step(`Bob registered with a bond of ${minBond / UNIT} OFL and published his offer`);

// Alice uploads a program and submits a job.
const code = u8aToHex(stringToU8a('\0asm\x01\0\0\0 polkadot.js test program'));
const program = blake2AsHex(code, 256);
events = await send(api, api.tx.market.uploadProgram(code), alice);
// (data[0]: a Codec's own `hash` getter hides the field of that name.)
assert.equal(find(events, 'market', 'ProgramUploaded').data[0].toHex(), program);
const spec = {
  workload: { Wasm: { program, entry: '_start', input: { Inline: u8aToHex(stringToU8a('hello')) }, fuelLimit: 10_000_000, memoryLimitMib: 64 } },
  resources: { cpuMillicores: 1000, memoryMib: 256, storageGib: 1, gpus: 0 },
  pricing: { PayPerUse: { budget: 5n * UNIT } },
  replicas: 1,
  quorum: 1,
  minReputation: 0,
  verifiedOnly: false,
  encryptedInput: false,
  runBlocks: 50,
  queueBlocks: 10,
};
const quote = await api.call.computeApi.quote(spec);
assert.ok(quote.isOk, `quote: ${quote.toString()}`);
assert.equal(quote.asOk.providers[0].who.toString(), bob.address);
assert.equal(quote.asOk.estimate.toBigInt(), 1010n * 10n ** 9n);
events = await send(api, api.tx.market.submitJob(spec), alice);
const submitted = find(events, 'market', 'JobSubmitted');
const job = submitted.data.job.toNumber();
assert.equal(find(events, 'market', 'JobAssigned').data.provider.toString(), bob.address);
step(`Alice uploaded program ${program.slice(0, 10)}… and submitted job ${job}, assigned to Bob`);

// Bob acknowledges and reports; the job settles and Bob is paid.
find(await send(api, api.tx.market.ack(job), bob), 'market', 'JobAcknowledged');
const result = blake2AsHex(stringToU8a('HELLO'), 256);
events = await send(api, api.tx.market.submitResult(job, { result, ok: true, usage: { fuel: 2_000_000, seconds: 0 } }), bob);
const settled = find(events, 'market', 'JobSettled');
assert.equal(settled.data.result.unwrap().toHex(), result);
const paid = find(events, 'escrow', 'ProviderPaid');
assert.equal(paid.data.provider.toString(), bob.address);
assert.equal(paid.data.amount.toBigInt(), 210n * 10n ** 9n);
step(`job ${job} settled: Bob paid ${paid.data.amount.toHuman()}, protocol fee ${paid.data.fee.toHuman()}`);

// Every ComputeApi runtime API through api.call, decorated from metadata.
const viaCall = await api.call.computeApi.job(job);
assert.ok(viaCall.isSome);
assert.ok(viaCall.unwrap().phase.isSettled);
const [providers, next] = await api.call.computeApi.providers({ runtime: null, free: { cpuMillicores: 0, memoryMib: 0, storageGib: 0, gpus: 0 }, maxUnitPrice: null, verifiedOnly: false, availableOnly: false }, null, 10);
assert.equal(providers.length, 1);
assert.equal(providers[0].who.toString(), bob.address);
assert.ok(next.isNone);
const assignments = await api.call.computeApi.assignments(bob.address);
assert.equal(assignments.length, 0, 'a settled job is no longer open');
const stats = await api.call.computeApi.stats();
assert.equal(stats.settledJobs.toNumber(), 1);
assert.equal(stats.totalPaid.toBigInt(), 210n * 10n ** 9n);
step('api.call.computeApi: quote, providers, job, assignments and stats answer');

// Every offload_* method through api.rpc, with the definitions above.
const rpcQuote = (await api.rpc.offload.quote({
  workload: { wasm: { program, input: { text: 'hello' }, fuelLimit: 10_000_000, memoryLimitMib: 64 } },
  resources: { cpuMillicores: 1000, memoryMib: 256, storageGib: 1 },
  pricing: { payPerUse: { budget: (5n * UNIT).toString() } },
})).toJSON();
assert.equal(rpcQuote.providers[0].account, bob.address);
assert.equal(rpcQuote.estimate, (1010n * 10n ** 9n).toString());
const page = (await api.rpc.offload.providers({ runtime: 'wasm' })).toJSON();
assert.equal(page.providers[0].account, bob.address);
assert.equal(page.providers[0].maxConcurrent, 3);
const rpcJob = (await api.rpc.offload.job(job)).toJSON();
assert.equal(rpcJob.phase, 'settled');
assert.equal(rpcJob.result, result);
assert.equal(rpcJob.paid, (210n * 10n ** 9n).toString());
const rpcStats = (await api.rpc.offload.stats()).toJSON();
assert.equal(rpcStats.settledJobs, 1);
assert.equal(rpcStats.providersOnline, 1);
step('api.rpc.offload: quote, providers, job and stats answer');

// Rewards: Bob's payment counted as work in the era in progress; he heartbeats so the era
// counts him live; when the era ends he claims. With the dev chain's emission the pot is far
// larger than his share could be, so the cap binds: half the fee his work carried.
const work = find(events, 'rewards', 'WorkRecorded');
const era = work.data.era.toNumber();
assert.equal(work.data.work.toBigInt(), paid.data.amount.toBigInt());
find(await send(api, api.tx.registry.heartbeat(), bob), 'rewards', 'UptimeRecorded');
const earning = (await api.call.rewardsApi.earnings(bob.address))[0];
assert.equal(earning.era.toNumber(), era);
assert.equal(earning.fees.toBigInt(), paid.data.fee.toBigInt());
assert.equal(earning.claimable.isTrue, false);
const rpcRewards = (await api.rpc.offload.rewards(bob.address)).toJSON();
assert.equal(rpcRewards.era.index, era);
assert.equal(rpcRewards.earnings[0].work, paid.data.amount.toBigInt().toString());
await assert.rejects(send(api, api.tx.rewards.claim(), bob), /rewards\.NothingToClaim/);
const deadline = Date.now() + 240_000;
while ((await api.call.rewardsApi.era()).index.toNumber() <= era) {
  assert.ok(Date.now() < deadline, `era ${era} did not end`);
  await new Promise((resolve) => setTimeout(resolve, 1000));
}
events = await send(api, api.tx.rewards.claim(), bob);
const rewarded = find(events, 'rewards', 'Rewarded');
assert.equal(rewarded.data.era.toNumber(), era);
assert.equal(rewarded.data.amount.toBigInt(), paid.data.fee.toBigInt() / 2n);
assert.equal((await api.call.rewardsApi.earnings(bob.address)).length, 0);
step(`rewards: era ${era} ended and Bob claimed ${rewarded.data.amount.toHuman()}, half the fee his work carried`);

// Subscriptions: Bob starts selling time (a per-second price), Alice asks what renting a core
// of his for two of the shortest periods costs, subscribes, sees it listed, and cancels.
events = await send(api, api.tx.registry.updateOffer({ ...offer, maxConcurrent: 3, prices: { ...offer.prices, perSecond: 10n ** 8n } }), bob);
find(events, 'registry', 'OfferUpdated');
// (His last heartbeat may be older than the era just waited for: he reports he is alive.)
find(await send(api, api.tx.registry.heartbeat(), bob), 'registry', 'Heartbeat');
const period = api.consts.subscriptions.minPeriod.toNumber();
const slot = { cpuMillicores: 1000, memoryMib: 256, storageGib: 1, gpus: 0 };
const periodQuote = (await api.call.subscriptionsApi.quote(alice.address, 'Wasm', slot, 0, period)).unwrap();
assert.equal(periodQuote.provider.toString(), bob.address);
const seconds = BigInt(period) * api.consts.subscriptions.millisPerBlock.toBigInt() / 1000n;
assert.equal(periodQuote.price.toBigInt(), seconds * 10n ** 8n + offer.prices.basePerJob);
const aliceBefore = (await api.query.system.account(alice.address)).data;
events = await send(api, api.tx.subscriptions.subscribe('Wasm', slot, periodQuote.price, 0, period, 2), alice);
const subscribed = find(events, 'subscriptions', 'Subscribed');
const subscription = subscribed.data.subscription.toNumber();
assert.equal(subscribed.data.provider.toString(), bob.address);
assert.equal(subscribed.data.price.toBigInt(), periodQuote.price.toBigInt());
const aliceAfter = (await api.query.system.account(alice.address)).data;
const prepaid = 2n * (periodQuote.price.toBigInt() + periodQuote.fee.toBigInt());
assert.equal(aliceAfter.reserved.toBigInt() - aliceBefore.reserved.toBigInt(), prepaid + periodQuote.deposit.toBigInt());
const view = (await api.call.subscriptionsApi.subscription(subscription)).unwrap();
assert.equal(view.prepaid.toBigInt(), prepaid);
assert.equal(view.subscription.periodsLeft.toNumber(), 2);
const listed = (await api.rpc.offload.subscriptions(alice.address)).toJSON().subscriptions;
assert.equal(listed.length, 1);
assert.equal(listed[0].provider, bob.address);
assert.equal(listed[0].prepaid, prepaid.toString());
assert.equal((await api.rpc.offload.subscriptions(bob.address)).toJSON().subscriptions[0].id, subscription);
// A job on the subscription: straight to Bob, only its deposit held; cancelled before he runs it.
const jobDeposit = api.consts.market.jobDeposit.toBigInt();
const reservedBefore = (await api.query.system.account(alice.address)).data.reserved.toBigInt();
events = await send(api, api.tx.market.submitSubscriptionJob(subscription, { ...spec, replicas: 1, quorum: 1 }), alice);
const onSubscription = find(events, 'market', 'JobOnSubscription');
assert.equal(onSubscription.data.subscription.toNumber(), subscription);
assert.equal((await api.rpc.offload.job(onSubscription.data.job)).toJSON().subscription.id, subscription);
assert.equal(find(events, 'market', 'JobAssigned').data.provider.toString(), bob.address);
assert.equal((await api.query.system.account(alice.address)).data.reserved.toBigInt() - reservedBefore, jobDeposit);
const rented = (await api.rpc.offload.subscriptions(alice.address)).toJSON().subscriptions[0];
assert.equal(rented.jobs, 1);
assert.equal(rented.inUse.cpuMillicores, spec.resources.cpuMillicores);
find(await send(api, api.tx.market.cancel(onSubscription.data.job), alice), 'market', 'JobCancelled');
assert.equal((await api.rpc.offload.subscriptions(alice.address)).toJSON().subscriptions[0].jobs, 0);
events = await send(api, api.tx.subscriptions.cancel(subscription), alice);
find(events, 'subscriptions', 'Cancelled');
await assert.rejects(send(api, api.tx.subscriptions.renew(subscription, 1), alice), /subscriptions\.Ending/);
step(`subscriptions: Alice rented a core of Bob's for ${periodQuote.price.toHuman()} a period of ${period} blocks, saw it listed, ran a job on it and cancelled both`);

// Datasets: Charlie registers one for Alice's program only; a job over it holds its royalty
// with the job's funds, a job of another program is refused, and the cancelled job gets the
// royalty back.
const charlie = keyring.addFromUri('//Charlie');
const royalty = UNIT / 2n;
const location = 'https://data.example/records.sealed';
events = await send(api, api.tx.datasets.register(blake2AsHex('records', 256), 1000, location, royalty, [program], true), charlie);
const registered = find(events, 'datasets', 'Registered');
const dataset = registered.data.dataset.toNumber();
assert.equal(registered.data.owner.toString(), charlie.address);
const stored = (await api.query.datasets.records(dataset)).unwrap();
const depositExpected = api.consts.datasets.depositBase.toBigInt() + api.consts.datasets.depositPerByte.toBigInt() * BigInt(location.length + 32);
assert.equal(stored.deposit.toBigInt(), depositExpected);
assert.equal((await api.call.datasetsApi.royalties([dataset], program)).asOk.toBigInt(), royalty);
assert.ok((await api.call.datasetsApi.royalties([dataset], blake2AsHex('other', 256))).isErr);
const overData = {
  ...spec,
  replicas: 1,
  quorum: 1,
  workload: { Wasm: { ...spec.workload.Wasm, input: { Datasets: { params: u8aToHex(stringToU8a('q')), ids: [dataset], maxRoyalties: royalty } } } },
};
const dataQuote = (await api.call.computeApi.quote(overData)).asOk;
assert.equal(dataQuote.royalties.toBigInt(), royalty);
// A program the dataset does not allow, uploaded first so the holds compare below.
const otherCode = u8aToHex(stringToU8a('\0asm\x01\0\0\0 another program'));
find(await send(api, api.tx.market.uploadProgram(otherCode), alice), 'market', 'ProgramUploaded');
const reservedBeforeData = (await api.query.system.account(alice.address)).data.reserved.toBigInt();
events = await send(api, api.tx.market.submitJob(overData), alice);
const used = find(events, 'datasets', 'Used');
assert.equal(used.data.royalty.toBigInt(), royalty);
const dataJob = used.data.job.toNumber();
assert.equal((await api.query.system.account(alice.address)).data.reserved.toBigInt() - reservedBeforeData, dataQuote.hold.toBigInt());
assert.deepEqual((await api.rpc.offload.job(dataJob)).toJSON().datasets, [dataset]);
const listedData = (await api.rpc.offload.datasets(charlie.address)).toJSON();
assert.equal(listedData.datasets[0].users, 1);
assert.equal(listedData.datasets[0].sealed, true);
const otherProgram = { ...overData, workload: { Wasm: { ...overData.workload.Wasm, program: blake2AsHex(otherCode, 256) } } };
await assert.rejects(send(api, api.tx.market.submitJob(otherProgram), alice), /datasets\.ProgramNotAllowed/);
await assert.rejects(send(api, api.tx.datasets.remove(dataset), charlie), /datasets\.InUse/);
find(await send(api, api.tx.market.cancel(dataJob), alice), 'market', 'JobCancelled');
assert.equal((await api.query.system.account(alice.address)).data.reserved.toBigInt(), reservedBeforeData);
find(await send(api, api.tx.datasets.remove(dataset), charlie), 'datasets', 'Removed');
step(`datasets: Charlie registered a sealed dataset at ${royalty * 100n / UNIT / 100n}.${(royalty * 100n / UNIT) % 100n} OFL a job, Alice's job over it held the royalty and got it back on cancel, and Charlie removed it`);

await api.disconnect();
step('done');
