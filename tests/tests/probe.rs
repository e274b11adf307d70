//! Probing real QEMU 7.2 processes with the bindings of QEMU 7.2's system
//! schema: `qemu-storage-daemon`, which has a small part of that schema,
//! and `qemu-system-x86_64`, which lacks the other targets' commands.
//!
//! The client talks to the storage daemon through a relay that records
//! every command it forwards, which shows that a command refused after the
//! probe never reached the daemon.  What the probe says is checked against
//! the daemon's raw `query-qmp-schema` reply and the system's
//! `query-commands`.
//!
//! Binaries and the shared directory are found and reported as in
//! `tests/real_qemu.rs`: an absent binary skips the test unless
//! `QAPI_REQUIRE_QEMU=1`; bindings missing because the shared directory was
//! absent at build time skip unless `QAPI_REQUIRE_SHARED=1`.

/// The bindings were not generated: the shared directory was absent when
/// the crate was built.
#[cfg(not(qapi_shared))]
#[test]
fn probe_needs_the_shared_schemas() {
    assert!(
        !qapi_tests::peers::required(),
        "QAPI_REQUIRE_QEMU=1, but the probe tests were not built: the shared \
         directory was absent when the crate was built"
    );
    qapi_tests::shared::skip(
        "probe",
        &qapi_tests::shared::dir().join("qemu/7.2/qapi/qapi-schema.json"),
    );
}

#[cfg(qapi_shared)]
mod real {
    use std::collections::BTreeSet;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use qapi_tests::bindings::qemu::v7_2::qmp::{
        BlockJobCompleted, BlockdevAdd, Commands as _, Event, QueryGicCapabilities, QueryMachines,
        QueryNamedBlockNodes, QuerySgxCapabilities, QueryStatus, QueryVersion, Shutdown, StopEvent,
    };
    use qapi_tests::peers::{self, Peer, Program};
    use qapi_types::client::{Client, ClientBuilder, Error};
    use qapi_types::serde_json::{self, Value};
    use qapi_types::{ErrorClass, VersionTriple};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::UnixStream;

    /// The limit of a whole test.
    const LIMIT: Duration = Duration::from_secs(120);
    /// The limit of one call.
    const CALL: Duration = Duration::from_secs(30);
    /// How long a process may take to accept connections.
    const START: Duration = Duration::from_secs(30);

    /// The commands a relay forwarded, in order.
    #[derive(Clone, Default)]
    struct Sent(Arc<Mutex<Vec<String>>>);

    impl Sent {
        fn names(&self) -> Vec<String> {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
        }
    }

    /// A socket to `upstream` through a relay that records the name of
    /// every command sent (the client ends each request with a newline).
    fn relay(upstream: UnixStream) -> (UnixStream, Sent) {
        let (ours, theirs) = UnixStream::pair().expect("socket pair");
        let (mut from_qemu, mut to_qemu) = upstream.into_split();
        let (from_client, mut to_client) = theirs.into_split();
        let sent = Sent::default();
        tokio::spawn(async move { tokio::io::copy(&mut from_qemu, &mut to_client).await });
        let log = sent.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(from_client).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(msg) = serde_json::from_str::<Value>(&line)
                    && let Some(name) = msg["execute"].as_str()
                {
                    log.0
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(name.to_owned());
                }
                let line = format!("{line}\n");
                if to_qemu.write_all(line.as_bytes()).await.is_err() {
                    break;
                }
            }
        });
        (ours, sent)
    }

    /// The names of the commands in a raw `query-qmp-schema` reply.
    fn raw_commands(schema: &Value) -> BTreeSet<String> {
        schema
            .as_array()
            .expect("the schema is an array")
            .iter()
            .filter(|e| e["meta-type"] == "command")
            .filter_map(|e| e["name"].as_str().map(str::to_owned))
            .collect()
    }

    fn is_7_2(version: VersionTriple) -> bool {
        (version.major, version.minor) == (7, 2)
    }

    #[tokio::test]
    async fn storage_daemon_with_system_bindings() {
        const TEST: &str = "storage_daemon_with_system_bindings";
        let Some(bin) = peers::binary(TEST, Program::StorageDaemon) else {
            return;
        };
        peers::within(TEST, LIMIT, async {
            let mut daemon =
                Peer::storage_daemon(&bin, &["--blockdev", "null-co,node-name=n0,size=1048576"])
                    .expect("start the storage daemon");
            let upstream = daemon.connect(START).await.expect("connect");
            let (stream, sent) = relay(upstream);
            let client: Client<Event> = ClientBuilder::new()
                .timeout(CALL)
                .connect_unix_stream(stream)
                .await
                .unwrap_or_else(|e| panic!("handshake: {e}; stderr: {}", daemon.stderr()));
            let version = client.greeting().version.qemu;
            assert!(is_7_2(version), "{version:?}");

            // What the daemon says itself, raw: it lacks the system
            // emulator's commands, and answers them with CommandNotFound.
            let raw = client.execute_raw("query-qmp-schema", None).await.unwrap();
            let raw: Value = serde_json::from_str(raw.get()).unwrap();
            let raw = raw_commands(&raw);
            for lacks in ["query-status", "query-machines"] {
                assert!(!raw.contains(lacks), "the daemon has {lacks}");
            }
            for has in ["query-version", "query-named-block-nodes", "blockdev-add"] {
                assert!(raw.contains(has), "the daemon lacks {has}");
            }
            let err = client.execute_raw("query-status", None).await.unwrap_err();
            assert_eq!(
                err.qmp().map(|e| &e.class),
                Some(&ErrorClass::CommandNotFound),
                "{err}"
            );

            // The probe agrees.
            assert!(client.capabilities().is_none());
            let caps = client.probe().await.unwrap();
            assert_eq!(caps.version(), version);
            assert_eq!(
                caps.schema()
                    .commands()
                    .map(str::to_owned)
                    .collect::<BTreeSet<_>>(),
                raw
            );
            assert!(!caps.has_command::<QueryStatus>());
            assert!(!caps.has_command::<QueryMachines>());
            assert!(caps.has_command::<QueryVersion>());
            assert!(caps.has_command::<QueryNamedBlockNodes>());
            assert!(caps.has_command::<BlockdevAdd>());
            assert_eq!(
                caps.has_argument::<BlockdevAdd>("+file/drop-cache"),
                Ok(true)
            );
            assert_eq!(caps.has_argument::<BlockdevAdd>("+null-co/*size"), Ok(true));
            assert_eq!(caps.has_argument::<BlockdevAdd>("*node-name"), Ok(true));
            assert_eq!(caps.has_argument::<BlockdevAdd>("*driver"), Ok(false));
            assert_eq!(caps.has_argument::<BlockdevAdd>("+file/bogus"), Ok(false));
            assert_eq!(caps.has_argument::<QueryNamedBlockNodes>("*flat"), Ok(true));
            assert_eq!(caps.has("nbd-server-add/$deprecated"), Ok(true));
            assert!(caps.has_event::<BlockJobCompleted>());
            assert!(!caps.has_event::<StopEvent>());
            assert!(!caps.has_event::<Shutdown>());

            // Commands the daemon lacks fail without a round trip; those
            // it has work.
            let before = sent.names().len();
            let err = client.query_status().await.unwrap_err();
            match &err {
                Error::NotSupported {
                    command,
                    version: v,
                } => {
                    assert_eq!(command, "query-status");
                    assert_eq!(*v, version);
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(
                err.to_string(),
                format!("'query-status' is unsupported by this server (QEMU {version})")
            );
            let err = client.query_machines().await.unwrap_err();
            assert!(matches!(err, Error::NotSupported { .. }), "{err:?}");

            let v = client.query_version().await.unwrap();
            assert_eq!(
                (v.qemu.major, v.qemu.minor, v.qemu.micro),
                (version.major, version.minor, version.micro)
            );
            let nodes = client
                .query_named_block_nodes(QueryNamedBlockNodes { flat: Some(true) })
                .await
                .unwrap();
            assert!(
                nodes.iter().any(|n| n.node_name.as_deref() == Some("n0")),
                "{nodes:?}"
            );
            // The refused commands were never forwarded: requests go out in
            // order, and the two that followed them are all there is.
            assert_eq!(
                sent.names()[before..],
                ["query-version", "query-named-block-nodes"]
            );

            // Probing again asks nothing.
            let again = client.probe().await.unwrap();
            assert!(Arc::ptr_eq(&again, &caps));
            let schema_requests = sent
                .names()
                .iter()
                .filter(|n| *n == "query-qmp-schema")
                .count();
            assert_eq!(schema_requests, 2, "the raw one and the probe");
        })
        .await;
    }

    #[tokio::test]
    async fn qemu_system_probed_on_connect() {
        const TEST: &str = "qemu_system_probed_on_connect";
        let Some(bin) = peers::binary(TEST, Program::System) else {
            return;
        };
        peers::within(TEST, LIMIT, async {
            let mut qemu = Peer::qemu_system(&bin, &["-M", "none"]).expect("start QEMU");
            let stream = qemu.connect(START).await.expect("connect");
            let client: Client<Event> = ClientBuilder::new()
                .timeout(CALL)
                .probe(true)
                .connect_unix_stream(stream)
                .await
                .unwrap_or_else(|e| panic!("handshake: {e}; stderr: {}", qemu.stderr()));
            let caps = client.capabilities().expect("probed on connect");
            assert!(is_7_2(caps.version()), "{:?}", caps.version());

            // The same commands as query-commands lists.
            let listed: BTreeSet<String> = client
                .query_commands()
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.name)
                .collect();
            assert_eq!(
                caps.schema()
                    .commands()
                    .map(str::to_owned)
                    .collect::<BTreeSet<_>>(),
                listed
            );

            assert!(caps.has_command::<QueryStatus>());
            assert!(caps.has_command::<QueryMachines>());
            assert!(caps.has_command::<QuerySgxCapabilities>());
            // An Arm command the bindings have and an x86 QEMU lacks.
            assert!(!caps.has_command::<QueryGicCapabilities>());
            let err = client.query_gic_capabilities().await.unwrap_err();
            assert!(
                matches!(&err, Error::NotSupported { command, .. }
                    if command == "query-gic-capabilities"),
                "{err:?}"
            );

            assert!(caps.has_event::<StopEvent>());
            assert!(caps.has_event::<Shutdown>());
            assert!(caps.has_event::<BlockJobCompleted>());
            assert_eq!(
                caps.has("SHUTDOWN/arg-type/reason/^host-qmp-quit"),
                Ok(true)
            );
            assert_eq!(caps.has("MEM_UNPLUG_ERROR/$deprecated"), Ok(true));
            assert_eq!(caps.has("query-status/ret-type/status/^running"), Ok(true));
            assert_eq!(
                caps.has_argument::<BlockdevAdd>("+file/drop-cache"),
                Ok(true)
            );
            assert!(caps.has_argument::<BlockdevAdd>("+file//x").is_err());

            client.query_status().await.unwrap();
            let machines = client.query_machines().await.unwrap();
            assert!(machines.iter().any(|m| m.name == "none"), "{machines:?}");
        })
        .await;
    }
}
