//! The server runtime against real QEMU: the same malformed requests sent
//! to `qemu-storage-daemon` 7.2 and to our server serving the 7.2
//! storage-daemon bindings' `Dispatcher`, whose handler records what it
//! receives.  The error replies must be the same, word for word, and the
//! handler must not be called for any of them; the requests both accept
//! must reach the handler with the values QEMU takes.  One more test, on
//! the project's own schema, needs no QEMU: the issue's `migrate` with a
//! made-up transport.
//!
//! The daemon comes from `QAPI_QEMU_STORAGE_DAEMON`, else `PATH`; without
//! it the test prints "skipped: ..." and passes, unless
//! `QAPI_REQUIRE_QEMU=1`.  The bindings exist only when the shared
//! directory did at build time (`cfg(qapi_shared)`).

use qapi_types::serde_json::{self, Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

/// A raw QMP connection: lines out, JSON values in.
struct Raw {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Raw {
    async fn new(stream: UnixStream) -> Raw {
        let (r, w) = stream.into_split();
        let mut raw = Raw {
            reader: BufReader::new(r),
            writer: w,
        };
        assert!(raw.read().await.get("QMP").is_some(), "no greeting");
        assert_eq!(
            raw.ask(r#"{"execute": "qmp_capabilities"}"#).await,
            json!({"return": {}})
        );
        raw
    }

    async fn read(&mut self) -> Value {
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).await.expect("read");
            assert!(n > 0, "the server closed the connection");
            let v: Value = serde_json::from_str(&line).expect("a JSON line");
            if v.get("event").is_none() {
                return v;
            }
        }
    }

    async fn ask(&mut self, request: &str) -> Value {
        self.writer
            .write_all(format!("{request}\n").as_bytes())
            .await
            .expect("write");
        self.read().await
    }
}

/// The issue's report, on the project's own schema: a `migrate` whose
/// channel had a made-up transport reached the handler (as the catch-all)
/// and got `{}`.
#[tokio::test]
async fn a_made_up_migration_transport_is_refused() {
    use std::sync::{Arc, Mutex};

    use qapi_tests::bindings::project::{Dispatcher, Handler, Migrate};
    use qapi_types::server::Server;
    use qapi_types::{Empty, QmpError};

    struct Recorder(Arc<Mutex<Vec<Migrate>>>);
    impl Handler for Recorder {
        async fn migrate(&self, args: Migrate) -> Result<Empty, QmpError> {
            self.0.lock().unwrap().push(args);
            Ok(Empty {})
        }
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = Server::new(Dispatcher(Recorder(seen.clone())));
    let (a, b) = UnixStream::pair().unwrap();
    tokio::spawn(async move { server.serve_stream(a).await });
    let mut ours = Raw::new(b).await;
    let refused = [
        (
            r#"{"execute":"migrate","arguments":{"channels":[{"channel-type":"main","addr":{"transport":"warp"}}]}}"#,
            "Parameter 'transport' does not accept value 'warp'",
        ),
        (
            r#"{"execute":"migrate","arguments":{"channels":[{"channel-type":"main","addr":{"transport":"socket","type":"warp"}}]}}"#,
            "Parameter 'type' does not accept value 'warp'",
        ),
        (
            r#"{"execute":"migrate","arguments":{"channels":[{"channel-type":"spare","addr":{"transport":"socket","type":"unix","path":"/m"}}]}}"#,
            "Parameter 'channel-type' does not accept value 'spare'",
        ),
        (
            r#"{"execute":"migrate","arguments":{"channels":[{"channel-type":"main","addr":{"transport":"socket","type":"unix","path":5}}]}}"#,
            "Invalid parameter type for 'channels[0].addr.path', expected: string",
        ),
        (
            r#"{"execute":"migrate","arguments":{"channels":[{"channel-type":"main","addr":{"transport":"socket","type":"unix"}}]}}"#,
            "Parameter 'channels[0].addr.path' is missing",
        ),
        (
            r#"{"execute":"migrate","arguments":{"channels":[{"channel-type":"main","addr":{"transport":"socket","type":"unix","path":"/m","speed":9}}]}}"#,
            "Parameter 'channels[0].addr.speed' is unexpected",
        ),
    ];
    for (request, desc) in refused {
        assert_eq!(
            ours.ask(request).await,
            json!({"error": {"class": "GenericError", "desc": desc}}),
            "{request}"
        );
    }
    assert!(seen.lock().unwrap().is_empty());
    let good = r#"{"execute":"migrate","arguments":{"channels":[{"channel-type":"main","addr":{"transport":"socket","type":"unix","path":"/m"}}]}}"#;
    assert_eq!(ours.ask(good).await, json!({"return": {}}));
    assert_eq!(seen.lock().unwrap().len(), 1);
}

/// The bindings were not generated: the shared directory was absent when
/// the crate was built.
#[cfg(not(qapi_shared))]
#[test]
fn server_vs_qemu_needs_the_shared_schemas() {
    assert!(
        !qapi_tests::peers::required(),
        "QAPI_REQUIRE_QEMU=1, but the tests against QEMU were not built: the shared \
         directory was absent when the crate was built"
    );
    qapi_tests::shared::skip(
        "server_vs_qemu",
        &qapi_tests::shared::dir().join("qemu/7.2/storage-daemon/qapi/qapi-schema.json"),
    );
}

#[cfg(qapi_shared)]
mod vs_storage_daemon {
    // The schema has a type called `String`: the glob import must not
    // hide Rust's.
    use std::string::String;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use qapi_tests::bindings::qemu::v7_2::storage_daemon::*;
    use qapi_tests::peers::{self, Peer, Program};
    use qapi_types::serde_json::json;
    use qapi_types::server::Server;
    use qapi_types::{Empty, QmpError};
    use tokio::net::UnixStream;

    use super::Raw;

    const TEST: &str = "server_vs_qemu";

    /// Records the arguments of every command it runs.
    #[derive(Clone, Default)]
    struct Recorder {
        calls: Arc<Mutex<Vec<String>>>,
    }

    impl Recorder {
        fn record(&self, what: String) {
            self.calls.lock().unwrap().push(what);
        }

        fn take(&self) -> Vec<String> {
            std::mem::take(&mut *self.calls.lock().unwrap())
        }
    }

    impl Handler for Recorder {
        async fn nbd_server_start(&self, args: NbdServerStart) -> Result<Empty, QmpError> {
            self.record(format!("{args:?}"));
            Ok(Empty {})
        }
        async fn blockdev_add(&self, args: BlockdevAdd) -> Result<Empty, QmpError> {
            self.record(format!("{args:?}"));
            Ok(Empty {})
        }
        async fn blockdev_reopen(&self, args: BlockdevReopen) -> Result<Empty, QmpError> {
            self.record(format!("{args:?}"));
            Ok(Empty {})
        }
        async fn transaction(&self, args: Transaction) -> Result<Empty, QmpError> {
            self.record(format!("{args:?}"));
            Ok(Empty {})
        }
        async fn object_add(&self, args: ObjectAdd) -> Result<Empty, QmpError> {
            self.record(format!("{args:?}"));
            Ok(Empty {})
        }
        async fn block_set_write_threshold(
            &self,
            args: BlockSetWriteThreshold,
        ) -> Result<Empty, QmpError> {
            self.record(format!("write-threshold {}", args.write_threshold));
            Ok(Empty {})
        }
        async fn block_dirty_bitmap_add(
            &self,
            args: BlockDirtyBitmapAddCommand,
        ) -> Result<Empty, QmpError> {
            self.record(format!("{args:?}"));
            Ok(Empty {})
        }
        async fn block_dirty_bitmap_merge(
            &self,
            args: BlockDirtyBitmapMergeCommand,
        ) -> Result<Empty, QmpError> {
            self.record(format!("{args:?}"));
            Ok(Empty {})
        }
        async fn chardev_add(&self, args: ChardevAdd) -> Result<ChardevReturn, QmpError> {
            self.record(format!("{args:?}"));
            Ok(ChardevReturn { pty: None })
        }
        async fn query_named_block_nodes(
            &self,
            args: QueryNamedBlockNodes,
        ) -> Result<Vec<BlockDeviceInfo>, QmpError> {
            self.record(format!("{args:?}"));
            Ok(Vec::new())
        }
        async fn query_block_jobs(&self) -> Result<Vec<BlockJobInfo>, QmpError> {
            self.record("query-block-jobs".into());
            Ok(Vec::new())
        }
        async fn x_blockdev_set_iothread(
            &self,
            args: XBlockdevSetIothread,
        ) -> Result<Empty, QmpError> {
            self.record(format!("{args:?}"));
            Ok(Empty {})
        }
        async fn ringbuf_write(&self, args: RingbufWrite) -> Result<Empty, QmpError> {
            self.record(format!("{args:?}"));
            Ok(Empty {})
        }
        async fn ringbuf_read(&self, args: RingbufRead) -> Result<String, QmpError> {
            self.record(format!("{args:?}"));
            Ok(String::new())
        }
        async fn qom_set(&self, args: QomSet) -> Result<Empty, QmpError> {
            self.record(format!("{args:?}"));
            Ok(Empty {})
        }
    }

    /// Malformed requests: every kind of argument error, at the top level,
    /// nested, in lists, through simple and flat unions and alternates.
    const REFUSED: &[&str] = &[
        // Types, with the member's path.
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":5}}}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"inet","data":{"host":"h","port":"1","ipv4":1}}}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":5}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":[]}}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":5}}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/x"}},"tls-creds":null}}"#,
        r#"{"execute":"query-named-block-nodes","arguments":{"flat":"yes"}}"#,
        r#"{"execute":"transaction","arguments":{"actions":{}}}"#,
        r#"{"execute":"transaction","arguments":{"actions":[5]}}"#,
        r#"{"execute":"transaction","arguments":{"actions":[{"type":"block-dirty-bitmap-add","data":{"node":5,"name":"b"}}]}}"#,
        r#"{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m","size":1024,"host-nodes":5}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"q","size":1.5}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":5}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"qcow2","node-name":"q","file":{"driver":"file","filename":5}}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"qcow2","node-name":"q","file":"n0","cache":{"direct":5}}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"blkdebug","node-name":"q","image":"n0","inject-error":[{"event":"read_aio","errno":"x"}]}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"blkdebug","node-name":"q","image":"n0","inject-error":[[]]}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"blkdebug","node-name":"q","image":"n0","max-transfer":"x"}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"q","size":9223372036854775808}}"#,
        r#"{"execute":"blockdev-reopen","arguments":{"options":[{"driver":"null-co","node-name":"n0","size":"x"}]}}"#,
        r#"{"execute":"chardev-add","arguments":{"id":"c","backend":{"type":"file","data":{"out":5}}}}"#,
        r#"{"execute":"chardev-add","arguments":{"id":"c","backend":{"type":"ringbuf","data":{"size":"x"}}}}"#,
        r#"{"execute":"ringbuf-read","arguments":{"device":"c","size":"x"}}"#,
        // Missing members.
        r#"{"execute":"nbd-server-start","arguments":{}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{}}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{}}}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"abstract":5}}}}"#,
        r#"{"execute":"transaction","arguments":{"actions":[{"type":"block-dirty-bitmap-add","data":{"node":"n0"}}]}}"#,
        r#"{"execute":"object-add","arguments":{"id":"m"}}"#,
        r#"{"execute":"blockdev-add","arguments":{"node-name":"q"}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"qcow2","node-name":"q","file":{"driver":"file"}}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"blkdebug","node-name":"q","image":"n0","inject-error":[{}]}}"#,
        r#"{"execute":"block-dirty-bitmap-merge","arguments":{"node":"n0","target":"b","bitmaps":[{"node":"n0"}]}}"#,
        r#"{"execute":"qom-set","arguments":{"path":"/","property":"x"}}"#,
        // Unexpected members.
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/x","bogus":1}}}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/x"},"bogus":1}}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"data":{"path":"x"},"type":"unix"},"bogus":1}}"#,
        r#"{"execute":"query-block-jobs","arguments":{"x":1}}"#,
        r#"{"execute":"transaction","arguments":{"actions":[{"type":"block-dirty-bitmap-add","data":{"node":"n0","name":"b","bogus":1}}]}}"#,
        r#"{"execute":"transaction","arguments":{"actions":[{"type":"block-dirty-bitmap-add","data":{"node":"n0","name":"b"},"bogus":1}]}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"q","max-transfer":4294967296}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"raw","node-name":"q","file":"n0","bogus":1}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"raw","node-name":"q","file":{"driver":"null-co","bogus":1}}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"qcow2","node-name":"q","file":"n0","overlap-check":{"bogus":1}}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"blkdebug","node-name":"q","image":"n0","inject-error":[{"event":"read_aio","x":1}]}}"#,
        // Unsigned integers and ranges.
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/x"}},"max-connections":4294967296}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/x"}},"max-connections":-1}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/x"}},"max-connections":"a"}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/x"}},"max-connections":1.5}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"inet","data":{"host":"h","port":"1","to":70000}}}}"#,
        r#"{"execute":"block-set-write-threshold","arguments":{"node-name":"n0","write-threshold":"x"}}"#,
        r#"{"execute":"block-set-write-threshold","arguments":{"node-name":"n0","write-threshold":18446744073709551616}}"#,
        r#"{"execute":"block-set-write-threshold","arguments":{"node-name":"n0","write-threshold":1e3}}"#,
        r#"{"execute":"block-set-write-threshold","arguments":{"node-name":"n0","write-threshold":-9223372036854775809}}"#,
        r#"{"execute":"block-dirty-bitmap-add","arguments":{"node":"n0","name":"b","granularity":4294967296}}"#,
        r#"{"execute":"transaction","arguments":{"actions":[{"type":"block-dirty-bitmap-add","data":{"node":"n0","name":"b","granularity":4294967296}}]}}"#,
        r#"{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m","size":1024,"host-nodes":[70000]}}"#,
        r#"{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m","size":1024,"host-nodes":[-1]}}"#,
        r#"{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m","size":1024,"host-nodes":["a"]}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"blkdebug","node-name":"q","image":"n0","max-transfer":4294967296}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"blkdebug","node-name":"q","image":"n0","max-transfer":-4294967296}}"#,
        // Enumeration values and union tags the schema lacks.
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"warp","data":{}}}}"#,
        r#"{"execute":"transaction","arguments":{"actions":[{"type":"nope"}]}}"#,
        r#"{"execute":"transaction","arguments":{"actions":[{"type":"block-dirty-bitmap-add","data":{"node":"n0","name":"b"}}],"properties":{"completion-mode":"nope"}}}"#,
        r#"{"execute":"object-add","arguments":{"qom-type":"nope","id":"m"}}"#,
        r#"{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m","size":1024,"policy":"nope"}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"qcow2","node-name":"q","file":{"driver":"nope"}}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"blkdebug","node-name":"q","image":"n0","inject-error":[{"event":"read_aio"},{"event":"nope"}]}}"#,
        r#"{"execute":"ringbuf-write","arguments":{"device":"c","data":"x","format":"nope"}}"#,
        // Alternates.
        r#"{"execute":"blockdev-add","arguments":{"driver":"qcow2","node-name":"q","file":5}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"qcow2","node-name":"q","file":null}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"qcow2","node-name":"q","file":"n0","backing":5}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"qcow2","node-name":"q","file":"n0","backing":{"driver":"nope"}}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"qcow2","node-name":"q","file":"n0","overlap-check":5}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"qcow2","node-name":"q","file":"n0","overlap-check":"nope"}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"qcow2","node-name":"q","file":"n0","overlap-check":{"template":"nope"}}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"qcow2","node-name":"q","file":{"driver":"null-co","size":"x"}}}"#,
        r#"{"execute":"x-blockdev-set-iothread","arguments":{"node-name":"n0","iothread":5}}"#,
        r#"{"execute":"x-blockdev-set-iothread","arguments":{"node-name":"n0","iothread":[]}}"#,
        r#"{"execute":"block-dirty-bitmap-merge","arguments":{"node":"n0","target":"b","bitmaps":[5]}}"#,
        r#"{"execute":"block-dirty-bitmap-merge","arguments":{"node":"n0","target":"b","bitmaps":[null]}}"#,
        // Several unexpected members: QEMU names the first in its hash
        // table's order (tables of 8 to 64 entries, grown and shrunk).
        r#"{"execute":"query-block-jobs","arguments":{"k0f":1,"k1ggg":1}}"#,
        r#"{"execute":"query-block-jobs","arguments":{"k0a":1,"k1i":1,"k2fff":1}}"#,
        r#"{"execute":"query-block-jobs","arguments":{"k0aaa":1,"k1d":1,"k2bb":1,"k3g":1}}"#,
        r#"{"execute":"query-block-jobs","arguments":{"k0d":1,"k1ii":1,"k2aaa":1,"k3b":1,"k4j":1}}"#,
        r#"{"execute":"query-block-jobs","arguments":{"k0jjj":1,"k1g":1,"k2d":1,"k3i":1,"k4ee":1,"k5ccc":1}}"#,
        r#"{"execute":"query-block-jobs","arguments":{"k0bbb":1,"k1eee":1,"k2c":1,"k3jjj":1,"k4dd":1,"k5bbb":1,"k6bbb":1}}"#,
        r#"{"execute":"query-block-jobs","arguments":{"k0aaa":1,"k1dd":1,"k2ii":1,"k3ff":1,"k4jj":1,"k5ff":1,"k6d":1,"k7d":1}}"#,
        r#"{"execute":"query-block-jobs","arguments":{"k0jj":1,"k1ii":1,"k2fff":1,"k3hh":1,"k4j":1,"k5bbb":1,"k6g":1,"k7f":1,"k8hh":1}}"#,
        r#"{"execute":"query-block-jobs","arguments":{"k0aaa":1,"k1bbb":1,"k2jj":1,"k3fff":1,"k4fff":1,"k5hhh":1,"k6h":1,"k7bb":1,"k8hhh":1,"k9b":1,"k10eee":1,"k11jjj":1}}"#,
        r#"{"execute":"query-block-jobs","arguments":{"k0hh":1,"k1ggg":1,"k2f":1,"k3hh":1,"k4ccc":1,"k5bb":1,"k6a":1,"k7e":1,"k8dd":1,"k9gg":1,"k10b":1,"k11hh":1,"k12ii":1,"k13cc":1,"k14ii":1,"k15gg":1,"k16g":1}}"#,
        r#"{"execute":"query-block-jobs","arguments":{"k0c":1,"k1c":1,"k2ddd":1,"k3d":1,"k4hhh":1,"k5cc":1,"k6e":1,"k7cc":1,"k8ii":1,"k9jjj":1,"k10f":1,"k11iii":1,"k12aa":1,"k13ii":1,"k14gg":1,"k15g":1,"k16hhh":1,"k17g":1,"k18d":1,"k19dd":1,"k20c":1,"k21fff":1,"k22a":1,"k23aaa":1,"k24ccc":1,"k25bb":1,"k26j":1,"k27b":1,"k28jj":1,"k29ccc":1}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/x"}},"max-connections":1,"tls-creds":"c","k0ee":1}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/x"}},"max-connections":1,"tls-creds":"c","k0jj":1,"k1h":1}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/x"}},"max-connections":1,"tls-creds":"c","k0bb":1,"k1hh":1,"k2hh":1}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/x"}},"max-connections":1,"tls-creds":"c","k0b":1,"k1bbb":1,"k2fff":1,"k3ee":1,"k4ccc":1}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/x"}},"max-connections":1,"tls-creds":"c","k0a":1,"k1ii":1,"k2ccc":1,"k3i":1,"k4ii":1,"k5bbb":1,"k6eee":1,"k7f":1}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/x"}},"max-connections":1,"tls-creds":"c","k0f":1,"k1iii":1,"k2ii":1,"k3ddd":1,"k4d":1,"k5ggg":1,"k6d":1,"k7ii":1,"k8fff":1,"k9a":1,"k10ee":1}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"q1","discard":"ignore","cache":{"direct":false},"read-only":false,"auto-read-only":false,"force-share":false,"detect-zeroes":"off","size":1024,"latency-ns":0,"read-zeroes":true,"k0e":1,"k1jj":1}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"q1","discard":"ignore","cache":{"direct":false},"read-only":false,"auto-read-only":false,"force-share":false,"detect-zeroes":"off","size":1024,"latency-ns":0,"read-zeroes":true,"k0hhh":1,"k1ff":1,"k2b":1}}"#,
        r#"{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"q1","discard":"ignore","cache":{"direct":false},"read-only":false,"auto-read-only":false,"force-share":false,"detect-zeroes":"off","size":1024,"latency-ns":0,"read-zeroes":true,"k0b":1,"k1h":1,"k2f":1,"k3hhh":1}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/x","zz":1,"yy":2,"xx":3,"ww":4}}}}"#,
        // Not arguments at all.
        r#"{"execute":"blockdev-add","arguments":5}"#,
        r#"{"execute":"query-named-block-nodes","arguments":{"flat":true,"flat":5}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","type":"inet","data":{"path":"/x"}}}}"#,
        r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/x","path":"/y"}}},"id":3}"#,
    ];

    /// Requests both accept, and what the handler must see of them.
    const ACCEPTED: &[(&str, &str)] = &[
        // QEMU takes negative numbers for uint64, wrapped around.
        (
            r#"{"execute":"block-set-write-threshold","arguments":{"node-name":"n0","write-threshold":-1}}"#,
            "write-threshold 18446744073709551615",
        ),
        (
            r#"{"execute":"block-set-write-threshold","arguments":{"node-name":"n0","write-threshold":18446744073709551615}}"#,
            "write-threshold 18446744073709551615",
        ),
        (
            r#"{"execute":"block-set-write-threshold","arguments":{"node-name":"n0","write-threshold":-9223372036854775808}}"#,
            "write-threshold 9223372036854775808",
        ),
    ];

    #[tokio::test]
    async fn argument_errors_match_qemu_storage_daemon_7_2() {
        let Some(bin) = peers::binary(TEST, Program::StorageDaemon) else {
            return;
        };
        peers::within(TEST, Duration::from_secs(120), async {
            let mut daemon =
                Peer::storage_daemon(&bin, &["--blockdev", "null-co,node-name=n0,size=1048576"])
                    .unwrap();
            let stream = daemon
                .connect(Duration::from_secs(30))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let mut qemu = Raw::new(stream).await;

            let recorder = Recorder::default();
            let server = Server::new(Dispatcher(recorder.clone()));
            let (a, b) = UnixStream::pair().unwrap();
            tokio::spawn(async move { server.serve_stream(a).await });
            let mut ours = Raw::new(b).await;

            let mut differences = Vec::new();
            for request in REFUSED {
                let theirs = qemu.ask(request).await;
                let mine = ours.ask(request).await;
                assert!(
                    theirs.get("error").is_some(),
                    "QEMU accepted {request}: {theirs}"
                );
                if theirs != mine {
                    differences.push(format!("{request}\n  QEMU: {theirs}\n  ours: {mine}"));
                }
            }
            assert!(
                differences.is_empty(),
                "{} of {} replies differ:\n{}",
                differences.len(),
                REFUSED.len(),
                differences.join("\n")
            );
            assert_eq!(recorder.take(), Vec::<String>::new());

            for (request, seen) in ACCEPTED {
                assert_eq!(qemu.ask(request).await, json!({"return": {}}), "{request}");
                assert_eq!(ours.ask(request).await, json!({"return": {}}), "{request}");
                assert_eq!(recorder.take(), vec![seen.to_string()], "{request}");
            }
        })
        .await;
    }

    /// The issue's example: a union tag the schema lacks never reaches the
    /// handler as its catch-all.
    #[tokio::test]
    async fn unknown_tags_never_reach_the_handler() {
        let recorder = Recorder::default();
        let server = Server::new(Dispatcher(recorder.clone()));
        let (a, b) = UnixStream::pair().unwrap();
        tokio::spawn(async move { server.serve_stream(a).await });
        let mut ours = Raw::new(b).await;
        let reply = ours
            .ask(r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"warp","data":{"path":"/x"}}},"id":1}"#)
            .await;
        assert_eq!(
            reply,
            json!({"id": 1, "error": {"class": "GenericError", "desc": "Parameter 'type' does not accept value 'warp'"}})
        );
        assert_eq!(recorder.take(), Vec::<String>::new());
        // A known tag does reach it, decoded.
        let reply = ours
            .ask(r#"{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"/x"}}}}"#)
            .await;
        assert_eq!(reply, json!({"return": {}}));
        let calls = recorder.take();
        assert_eq!(calls.len(), 1);
        assert!(
            calls[0].contains("Unix(") && calls[0].contains("\"/x\""),
            "{calls:?}"
        );
    }
}
