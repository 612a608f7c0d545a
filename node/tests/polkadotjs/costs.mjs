// What each signed extrinsic of the last blocks cost: the block weight it used (base,
// transaction extensions and call, as ExtrinsicSuccess or ExtrinsicFailed reports it) and the
// fee its signer paid. Not a test: a tool to compare, on a running chain, a job's extrinsics
// with a transfer's (scripts/dev.sh, then `node costs.mjs [ws://127.0.0.1:9944] [blocks]`).
import { ApiPromise, WsProvider } from '@polkadot/api';

const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
const blocks = Number(process.argv[3] ?? 200);
const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true });
const head = (await api.rpc.chain.getHeader()).number.toNumber();
console.log('block  call                          weight µs        fee (planck)');
for (let n = Math.max(1, head - blocks + 1); n <= head; n++) {
  const hash = await api.rpc.chain.getBlockHash(n);
  const [block, events] = await Promise.all([api.rpc.chain.getBlock(hash), api.query.system.events.at(hash)]);
  const of = (i) => events.filter(({ phase }) => phase.isApplyExtrinsic && phase.asApplyExtrinsic.toNumber() === i);
  block.block.extrinsics.forEach((xt, i) => {
    if (!xt.isSigned) return;
    const mine = of(i);
    const paid = mine.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
    const done = mine.find(({ event }) => api.events.system.ExtrinsicSuccess.is(event) || api.events.system.ExtrinsicFailed.is(event));
    const info = done.event.data[done.event.data.length - 1];
    const call = `${xt.method.section}.${xt.method.method}`;
    const weight = (info.weight.refTime.toNumber() / 1e6).toFixed(1);
    console.log(`${String(n).padStart(5)}  ${call.padEnd(28)} ${weight.padStart(10)} ${String(paid?.event.data[1] ?? 0).padStart(18)}`);
  });
}
await api.disconnect();
