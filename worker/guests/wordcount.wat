;; wordcount: an Offload guest program, like `wc`. It reads its input from stdin and writes
;; "<lines> <words> <bytes>\n" to stdout. A WASI preview 1 command: `_start` is the entry point.
;;
;; Upload and run it:  offload submit --suri //Alice --program worker/guests/wordcount.wat \
;;                       --input "hello offload" --watch
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  ;; 0..8: an iovec {pointer, length}; 8..12: bytes read or written; 16..81: the output text;
  ;; 1024..5120: the read buffer.
  (memory (export "memory") 1)

  (func (export "_start")
    (local $n i32) (local $i i32) (local $c i32) (local $in_word i32) (local $p i32)
    (local $lines i64) (local $words i64) (local $bytes i64)
    (block $eof
      (loop $read
        (i32.store (i32.const 0) (i32.const 1024))
        (i32.store (i32.const 4) (i32.const 4096))
        ;; A read error ends the input like end-of-file.
        (br_if $eof (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $eof (i32.eqz (local.get $n)))
        (local.set $bytes (i64.add (local.get $bytes) (i64.extend_i32_u (local.get $n))))
        (local.set $i (i32.const 0))
        (loop $scan
          (local.set $c (i32.load8_u (i32.add (i32.const 1024) (local.get $i))))
          (if (i32.eq (local.get $c) (i32.const 10))
            (then (local.set $lines (i64.add (local.get $lines) (i64.const 1)))))
          ;; Whitespace is space and \t \n \v \f \r; a word starts where whitespace ends.
          (if (i32.or (i32.eq (local.get $c) (i32.const 32))
                      (i32.and (i32.ge_u (local.get $c) (i32.const 9))
                               (i32.le_u (local.get $c) (i32.const 13))))
            (then (local.set $in_word (i32.const 0)))
            (else
              (if (i32.eqz (local.get $in_word))
                (then
                  (local.set $words (i64.add (local.get $words) (i64.const 1)))
                  (local.set $in_word (i32.const 1))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $scan (i32.lt_u (local.get $i) (local.get $n))))
        (br $read)))
    ;; The text is built backwards from its newline at offset 80.
    (i32.store8 (i32.const 80) (i32.const 10))
    (local.set $p (call $decimal (i32.const 80) (local.get $bytes)))
    (local.set $p (call $space (local.get $p)))
    (local.set $p (call $decimal (local.get $p) (local.get $words)))
    (local.set $p (call $space (local.get $p)))
    (local.set $p (call $decimal (local.get $p) (local.get $lines)))
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (i32.sub (i32.const 81) (local.get $p)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; Writes $value in decimal so that it ends just before $end; returns where it starts.
  (func $decimal (param $end i32) (param $value i64) (result i32)
    (loop $digit
      (local.set $end (i32.sub (local.get $end) (i32.const 1)))
      (i32.store8 (local.get $end)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $value) (i64.const 10)))))
      (local.set $value (i64.div_u (local.get $value) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $value) (i64.const 0))))
    (local.get $end))

  ;; Writes a space just before $end; returns where it is.
  (func $space (param $end i32) (result i32)
    (local.set $end (i32.sub (local.get $end) (i32.const 1)))
    (i32.store8 (local.get $end) (i32.const 32))
    (local.get $end))
)
