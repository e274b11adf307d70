//! End to end: bindings generated from QEMU 7.2's schemas (and the older
//! 5.2 ones) talking to real QEMU 7.2 processes the tests start themselves
//! (`qemu-system-x86_64`, `qemu-storage-daemon`, `qemu-ga`), through
//! `qapi_types::client::Client` and `qapi_types::qga::Client`.
//!
//! Every reply is checked twice: decoded by the typed methods, and taken raw
//! (`execute_raw`), decoded into the generated types and encoded back, which
//! must give the same JSON value (for the 7.2 bindings; the 5.2 ones only
//! have to decode a newer QEMU's replies).
//!
//! The binaries come from `QAPI_QEMU_SYSTEM`, `QAPI_QEMU_STORAGE_DAEMON`
//! and `QAPI_QEMU_GA`, else from `PATH`; a test whose binary is absent
//! prints "skipped: ..." and passes, unless `QAPI_REQUIRE_QEMU=1`.  The
//! bindings exist only when the shared directory did at build time
//! (`cfg(qapi_shared)`); otherwise one test reports the skip, or fails with
//! `QAPI_REQUIRE_SHARED=1`.  Every test runs within a time limit, and the
//! processes are killed when a test ends, however it ends.

/// The bindings were not generated: the shared directory was absent when
/// the crate was built.
#[cfg(not(qapi_shared))]
#[test]
fn real_qemu_needs_the_shared_schemas() {
    assert!(
        !qapi_tests::peers::required(),
        "QAPI_REQUIRE_QEMU=1, but the tests against QEMU were not built: the shared \
         directory was absent when the crate was built"
    );
    qapi_tests::shared::skip(
        "real_qemu",
        &qapi_tests::shared::dir().join("qemu/7.2/qapi/qapi-schema.json"),
    );
}

#[cfg(qapi_shared)]
mod common {
    use std::collections::BTreeSet;
    use std::future::Future;
    use std::time::Duration;

    pub use qapi_tests::bindings::qemu::{v5_2, v7_2};
    pub use qapi_tests::json;
    pub use qapi_tests::peers::{self, Peer, Program, TempDir};
    pub use qapi_types::client::{Client, ClientBuilder};
    pub use qapi_types::serde_json::{self, Value, json, value::RawValue};
    pub use qapi_types::{Command, EventSet, qga};

    /// The limit of a whole test.
    pub const LIMIT: Duration = Duration::from_secs(120);
    /// The limit of one call.
    pub const CALL: Duration = Duration::from_secs(30);
    /// How long a process may take to accept connections.
    pub const START: Duration = Duration::from_secs(30);

    /// Runs a test's body within [`LIMIT`].
    pub async fn within<F: Future>(test: &str, body: F) -> F::Output {
        peers::within(test, LIMIT, body).await
    }

    /// A QMP client over the peer's socket.
    pub async fn qmp<E: EventSet>(peer: &mut Peer) -> Client<E> {
        let stream = peer.connect(START).await.unwrap_or_else(|e| panic!("{e}"));
        ClientBuilder::new()
            .timeout(CALL)
            .connect_unix_stream(stream)
            .await
            .unwrap_or_else(|e| panic!("QMP handshake: {e}; stderr: {}", peer.stderr()))
    }

    /// A guest-agent client over the peer's socket.
    pub async fn agent(peer: &mut Peer) -> qga::Client {
        let stream = peer.connect(START).await.unwrap_or_else(|e| panic!("{e}"));
        qga::Client::builder()
            .timeout(CALL)
            .connect_stream(stream)
            .await
            .unwrap_or_else(|e| panic!("guest agent sync: {e}; stderr: {}", peer.stderr()))
    }

    /// The `arguments` of `cmd`, `None` when it has none.
    fn arguments<C: Command>(cmd: &C) -> Option<Value> {
        match serde_json::to_value(cmd).expect("arguments encode") {
            Value::Object(m) if m.is_empty() => None,
            Value::Null => None,
            v => Some(v),
        }
    }

    /// `cmd`'s reply, raw, from a QMP server.
    pub async fn qmp_raw<E: EventSet, C: Command>(client: &Client<E>, cmd: &C) -> Box<RawValue> {
        client
            .execute_raw(C::NAME, arguments(cmd))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", C::NAME))
    }

    /// `cmd`'s reply, raw, from the guest agent.
    pub async fn qga_raw<C: Command>(client: &qga::Client, cmd: &C) -> Box<RawValue> {
        client
            .execute_raw(C::NAME, arguments(cmd))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", C::NAME))
    }

    /// Failures collected over a test, reported together at its end, so
    /// that one run shows every reply that does not decode or round-trip.
    #[derive(Default)]
    pub struct Checks {
        failures: Vec<String>,
        passed: usize,
    }

    impl Checks {
        /// Decodes `raw` as `C`'s return type and encodes it back: the JSON
        /// value must be the same.
        pub fn round_trip<C: Command>(&mut self, raw: &RawValue) -> Option<C::Returns> {
            self.check(json::round_trip::<C::Returns>(C::NAME, raw.get()))
        }

        /// Decodes `raw` as `C`'s return type (older bindings, newer QEMU).
        pub fn decode<C: Command>(&mut self, raw: &RawValue) -> Option<C::Returns> {
            self.check(json::decode::<C::Returns>(C::NAME, raw.get()))
        }

        /// Records the outcome of a check.
        pub fn check<T>(&mut self, r: Result<T, String>) -> Option<T> {
            match r {
                Ok(t) => {
                    self.passed += 1;
                    Some(t)
                }
                Err(e) => {
                    self.failures.push(e);
                    None
                }
            }
        }

        /// Fails with every failure recorded.
        pub fn finish(self, test: &str) {
            assert!(
                self.failures.is_empty(),
                "{test}: {} of {} checks failed:\n{}",
                self.failures.len(),
                self.failures.len() + self.passed,
                self.failures.join("\n")
            );
            eprintln!("{test}: {} replies checked", self.passed);
        }
    }

    /// Names that occur more than once.
    pub fn duplicates<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
        let mut seen = BTreeSet::new();
        names.into_iter().filter(|n| !seen.insert(*n)).collect()
    }

    /// An event set that keeps every event as it arrived: its name and its
    /// `data` text.
    #[derive(Clone, Debug, PartialEq)]
    pub struct RawEvent {
        pub name: String,
        pub data: Option<String>,
    }

    impl EventSet for RawEvent {
        fn decode(name: &str, data: Option<&RawValue>) -> Result<Self, serde_json::Error> {
            Ok(RawEvent {
                name: name.to_owned(),
                data: data.map(|d| d.get().to_owned()),
            })
        }

        fn name(&self) -> &str {
            &self.name
        }

        fn data(&self) -> Result<Option<Value>, serde_json::Error> {
            self.data.as_deref().map(serde_json::from_str).transpose()
        }
    }

    impl RawEvent {
        /// The data as a `RawValue`, for `EventSet::decode`.
        pub fn raw_data(&self) -> Option<Box<RawValue>> {
            self.data
                .as_ref()
                .map(|d| RawValue::from_string(d.clone()).expect("JSON"))
        }
    }
}

/// `qemu-system-x86_64 -M none` with the 7.2 bindings: the greeting,
/// negotiation, typed queries, the schema introspected, round trips.
#[cfg(qapi_shared)]
mod qemu_system {
    use super::common::*;
    use std::collections::{BTreeMap, BTreeSet};
    use v7_2::qmp::{
        Commands as _, Event, QueryCommands, QueryQmpSchema, QueryStatus, QueryVersion, RunState,
        SchemaInfo, SchemaInfoMetaType, SchemaMetaType,
    };

    const TEST: &str = "qemu_system_7_2";

    #[tokio::test]
    async fn qemu_system_7_2() {
        let Some(bin) = peers::binary(TEST, Program::System) else {
            return;
        };
        within(TEST, async {
            let mut qemu = Peer::qemu_system(&bin, &["-M", "none"]).unwrap();
            let client: Client<Event> = qmp(&mut qemu).await;

            // The greeting, and negotiation with oob.
            let greeting = client.greeting().clone();
            assert_eq!(
                (greeting.version.qemu.major, greeting.version.qemu.minor),
                (7, 2),
                "{greeting:?}"
            );
            assert!(
                greeting.capabilities.iter().any(|c| c == "oob"),
                "{greeting:?}"
            );
            assert!(client.oob_enabled());

            // Typed methods.
            let version = client.query_version().await.unwrap();
            assert_eq!(
                (version.qemu.major, version.qemu.minor, version.qemu.micro),
                (
                    greeting.version.qemu.major,
                    greeting.version.qemu.minor,
                    greeting.version.qemu.micro
                )
            );
            assert_eq!(version.package, greeting.version.package);

            let status = client.query_status().await.unwrap();
            assert_eq!(status.status, RunState::Running, "{status:?}");
            assert!(status.running);

            let commands = client.query_commands().await.unwrap();
            let names: BTreeSet<&str> = commands.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(
                duplicates(commands.iter().map(|c| c.name.as_str())),
                Vec::<&str>::new()
            );
            for name in [
                "qmp_capabilities",
                "query-status",
                "query-version",
                "query-commands",
                "query-qmp-schema",
                "migrate",
                "query-migrate",
                "human-monitor-command",
            ] {
                assert!(names.contains(name), "query-commands lacks {name}");
            }

            // The schema, introspected, into the generated flat union.
            let schema = client.query_qmp_schema().await.unwrap();
            check_schema(&schema, &names);

            // The raw replies round-trip through the 7.2 types.
            let mut checks = Checks::default();
            let raw = qmp_raw(&client, &QueryQmpSchema {}).await;
            assert!(raw.get().len() > 100_000, "{} bytes", raw.get().len());
            if let Some(s) = checks.round_trip::<QueryQmpSchema>(&raw) {
                assert_eq!(s, schema);
            }
            let raw = qmp_raw(&client, &QueryCommands {}).await;
            if let Some(c) = checks.round_trip::<QueryCommands>(&raw) {
                assert_eq!(c, commands);
            }
            let raw = qmp_raw(&client, &QueryVersion {}).await;
            if let Some(v) = checks.round_trip::<QueryVersion>(&raw) {
                assert_eq!(v, version);
            }
            let raw = qmp_raw(&client, &QueryStatus {}).await;
            if let Some(s) = checks.round_trip::<QueryStatus>(&raw) {
                assert_eq!(s, status);
            }
            more_queries(&client, &mut checks).await;
            checks.finish(TEST);
        })
        .await;
    }

    /// Every other query that a `-M none` machine answers, raw and
    /// typed.
    async fn more_queries(client: &Client<Event>, checks: &mut Checks) {
        use v7_2::qmp::*;
        macro_rules! queries {
            ($($cmd:expr),* $(,)?) => {$(
                query(client, checks, $cmd).await;
            )*};
        }
        queries!(
            QueryBlock {},
            QueryBlockExports {},
            QueryBlockJobs {},
            QueryBlockstats { query_nodes: None },
            QueryChardev {},
            QueryChardevBackends {},
            QueryColoStatus {},
            QueryCommandLineOptions { option: None },
            QueryCpuDefinitions {},
            QueryCpusFast {},
            QueryCurrentMachine {},
            QueryDirtyRate {},
            QueryDisplayOptions {},
            QueryDump {},
            QueryDumpGuestMemoryCapability {},
            QueryFdsets {},
            QueryIothreads {},
            QueryJobs {},
            QueryKvm {},
            QueryMachines {},
            QueryMemdev {},
            QueryMemoryDevices {},
            QueryMemorySizeSummary {},
            QueryMice {},
            QueryMigrate {},
            QueryMigrateCapabilities {},
            QueryMigrateParameters {},
            QueryName {},
            QueryNamedBlockNodes { flat: None },
            QueryPci {},
            QueryPrManagers {},
            QueryReplay {},
            QueryRxFilter { name: None },
            QuerySev {},
            QuerySpice {},
            QueryStatsSchemas { provider: None },
            QueryTarget {},
            QueryTpm {},
            QueryTpmModels {},
            QueryTpmTypes {},
            QueryUuid {},
            QueryVcpuDirtyLimit {},
            QueryVnc {},
            QueryVncServers {},
            QueryXenReplicationStatus {},
            QueryYank {},
            XQueryIrq {},
            XQueryJit {},
            XQueryNuma {},
            XQueryOpcount {},
            XQueryRamblock {},
            XQueryRdma {},
            XQueryRoms {},
            XQueryVirtio {},
        );
    }

    /// `cmd` raw (its reply must round-trip) and typed.
    async fn query<C: Command>(client: &Client<Event>, checks: &mut Checks, cmd: C) {
        let raw = qmp_raw(client, &cmd).await;
        checks.round_trip::<C>(&raw);
        if let Err(e) = client.execute(cmd).await {
            checks.check::<()>(Err(format!("{}: typed: {e}", C::NAME)));
        }
    }

    /// The introspected schema, decoded into `SchemaInfo`, describes what
    /// QEMU 7.2 has.
    fn check_schema(schema: &[SchemaInfo], commands: &BTreeSet<&str>) {
        assert!(schema.len() > 1000, "{} entities", schema.len());
        assert_eq!(
            duplicates(schema.iter().map(|s| s.name.as_str())),
            Vec::<&str>::new()
        );
        let by_name: BTreeMap<&str, &SchemaInfo> =
            schema.iter().map(|s| (s.name.as_str(), s)).collect();

        // Every meta type occurs, none unknown to the 7.2 bindings.
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for s in schema {
            *counts.entry(s.meta_type().as_str().to_owned()).or_default() += 1;
            assert!(
                !matches!(s.meta_type, SchemaInfoMetaType::Unknown { .. }),
                "unknown meta-type: {s:?}"
            );
        }
        eprintln!("{TEST}: query-qmp-schema: {counts:?}");
        for meta in [
            "builtin",
            "enum",
            "array",
            "object",
            "alternate",
            "command",
            "event",
        ] {
            assert!(
                counts.get(meta).is_some_and(|&n| n > 0),
                "no {meta} in {counts:?}"
            );
        }

        // The commands are those query-commands lists.
        let introspected: BTreeSet<&str> = schema
            .iter()
            .filter(|s| s.meta_type() == SchemaMetaType::Command)
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(&introspected, commands);

        // Every event is one the 7.2 bindings know.
        let unknown: Vec<&str> = schema
            .iter()
            .filter(|s| s.meta_type() == SchemaMetaType::Event)
            .map(|s| s.name.as_str())
            .filter(|n| matches!(Event::decode(n, None), Ok(Event::Unknown { .. })))
            .collect();
        assert_eq!(
            unknown,
            Vec::<&str>::new(),
            "events the 7.2 bindings do not know"
        );

        let object = |name: &str| match by_name.get(name).map(|s| &s.meta_type) {
            Some(SchemaInfoMetaType::Object(o)) => o,
            other => panic!("{name} is no object: {other:?}"),
        };
        let command = |name: &str| match by_name.get(name).map(|s| &s.meta_type) {
            Some(SchemaInfoMetaType::Command(c)) => c,
            other => panic!("{name} is no command: {other:?}"),
        };
        let member_type = |object_name: &str, member: &str| -> String {
            object(object_name)
                .members
                .iter()
                .find(|m| m.name == member)
                .unwrap_or_else(|| panic!("{object_name} has no member {member}"))
                .r#type
                .clone()
        };

        // query-status returns an object whose `status` is the RunState
        // enumeration.
        let status = command("query-status");
        assert_eq!(member_type(&status.ret_type, "running"), "bool");
        let run_state = member_type(&status.ret_type, "status");
        match by_name.get(run_state.as_str()).map(|s| &s.meta_type) {
            Some(SchemaInfoMetaType::Enum(e)) => {
                let values: Vec<&str> = e.members.iter().map(|m| m.name.as_str()).collect();
                for v in ["running", "paused", "prelaunch", "inmigrate", "postmigrate"] {
                    assert!(values.contains(&v), "RunState lacks {v}: {values:?}");
                }
                // Each value decodes into a known RunState.
                for v in &values {
                    let r: RunState = serde_json::from_value(json!(v)).unwrap();
                    assert!(!matches!(r, RunState::Unknown(_)), "{v}");
                }
            }
            other => panic!("query-status's status is no enum: {other:?}"),
        }

        // migrate takes a string `uri`; migrate-pause may run out of band.
        assert_eq!(member_type(&command("migrate").arg_type, "uri"), "str");
        assert_eq!(command("migrate-pause").allow_oob, Some(true));
        assert_eq!(command("query-status").allow_oob, None);

        // query-qmp-schema describes itself: an array of a flat union with
        // tag `meta-type`, one variant per meta type.
        let ret = &command("query-qmp-schema").ret_type;
        let element = match by_name.get(ret.as_str()).map(|s| &s.meta_type) {
            Some(SchemaInfoMetaType::Array(a)) => a.element_type.clone(),
            other => panic!("query-qmp-schema returns no array: {other:?}"),
        };
        let info = object(&element);
        assert_eq!(info.tag.as_deref(), Some("meta-type"));
        assert_eq!(info.variants.as_ref().map_or(0, Vec::len), 7);
    }
}

/// A real migration between two `qemu-system-x86_64 -M pc` processes: the
/// events arrive typed (and raw, on a second monitor of the source), and
/// the final `query-migrate` decodes and round-trips.
#[cfg(qapi_shared)]
mod migration {
    use super::common::*;
    use v7_2::qmp::{
        Commands as _, Event, Migrate, MigrateSetCapabilities, MigrationCapability,
        MigrationCapabilityStatus, MigrationStatus, QueryMigrate, QueryMigrateCapabilities,
        QueryStatus, RunState,
    };

    const TEST: &str = "migration_7_2";

    const MACHINE: [&str; 8] = ["-M", "pc", "-accel", "tcg", "-m", "64", "-smp", "1"];

    fn events_on() -> MigrateSetCapabilities {
        MigrateSetCapabilities {
            capabilities: vec![MigrationCapabilityStatus {
                capability: MigrationCapability::Events,
                state: true,
            }],
        }
    }

    #[tokio::test]
    async fn migration_7_2() {
        let Some(bin) = peers::binary(TEST, Program::System) else {
            return;
        };
        within(TEST, async {
            // The sockets of the migration and of the source's second
            // monitor.
            let sockets = TempDir::new().unwrap();
            let uri = format!("unix:{}", sockets.join("migrate.sock").display());
            let monitor = sockets.join("events.sock");

            let mut dst_args = MACHINE.to_vec();
            dst_args.extend(["-incoming", &uri]);
            let mut dst = Peer::qemu_system(&bin, &dst_args).unwrap();
            let second = format!("unix:{},server=on,wait=off", monitor.display());
            let mut src_args = MACHINE.to_vec();
            src_args.extend(["-S", "-qmp", &second]);
            let mut src = Peer::qemu_system(&bin, &src_args).unwrap();

            let dst_client: Client<Event> = qmp(&mut dst).await;
            let client: Client<Event> = qmp(&mut src).await;
            let raw_stream = src.connect_to(&monitor, START).await.unwrap();
            let raw_client: Client<RawEvent> = ClientBuilder::new()
                .timeout(CALL)
                .connect_unix_stream(raw_stream)
                .await
                .unwrap();

            assert_eq!(
                dst_client.query_status().await.unwrap().status,
                RunState::Inmigrate
            );
            assert_eq!(
                client.query_status().await.unwrap().status,
                RunState::Prelaunch
            );

            // Events on both sides.
            dst_client
                .migrate_set_capabilities(events_on())
                .await
                .unwrap();
            client.migrate_set_capabilities(events_on()).await.unwrap();
            let caps = client.query_migrate_capabilities().await.unwrap();
            assert!(
                caps.iter()
                    .any(|c| c.capability == MigrationCapability::Events && c.state),
                "{caps:?}"
            );
            let mut checks = Checks::default();
            let raw = qmp_raw(&client, &QueryMigrateCapabilities {}).await;
            checks.round_trip::<QueryMigrateCapabilities>(&raw);
            // A real machine has more to say than `-M none`.
            {
                use v7_2::qmp::*;
                macro_rules! round_trips {
                    ($($cmd:expr),* $(,)?) => {$({
                        let cmd = $cmd;
                        let raw = qmp_raw(&client, &cmd).await;
                        round_trip_as(&mut checks, &cmd, &raw);
                    })*};
                }
                fn round_trip_as<C: Command>(checks: &mut Checks, _: &C, raw: &RawValue) {
                    checks.round_trip::<C>(raw);
                }
                round_trips!(
                    QueryPci {},
                    QueryCpusFast {},
                    QueryHotpluggableCpus {},
                    QueryAcpiOspmStatus {},
                    QueryCurrentMachine {},
                    QueryMemorySizeSummary {},
                    QueryMigrateParameters {},
                    XQueryRoms {},
                    XQueryRamblock {},
                );
                let pci = client.query_pci().await.unwrap();
                assert!(!pci.is_empty() && !pci[0].devices.is_empty(), "{pci:?}");
                let cpus = client.query_cpus_fast().await.unwrap();
                assert_eq!(cpus.len(), 1, "{cpus:?}");
            }

            let mut typed_events = client.events();
            let mut raw_events = raw_client.events();
            let mut dst_events = dst_client.events();

            client
                .migrate(Migrate {
                    uri: uri.clone(),
                    ..Default::default()
                })
                .await
                .unwrap();

            // Typed, on the source, until the migration ends.
            let mut typed = Vec::new();
            loop {
                let e = typed_events
                    .recv()
                    .await
                    .expect("the source's connection stays open")
                    .expect("every event decodes");
                let end = match &e.event {
                    Event::Migration(m) => match m.status {
                        MigrationStatus::Completed => true,
                        MigrationStatus::Failed | MigrationStatus::Cancelled => {
                            let info = client.query_migrate().await;
                            panic!("migration {:?}: {info:?}; {}", m.status, src.stderr());
                        }
                        _ => false,
                    },
                    Event::MigrationPass(_) => false,
                    other => panic!("unexpected event {other:?}"),
                };
                typed.push(e);
                if end {
                    break;
                }
            }
            let statuses: Vec<MigrationStatus> = typed
                .iter()
                .filter_map(|e| match &e.event {
                    Event::Migration(m) => Some(m.status.clone()),
                    _ => None,
                })
                .collect();
            let passes: Vec<i64> = typed
                .iter()
                .filter_map(|e| match &e.event {
                    Event::MigrationPass(p) => Some(p.pass),
                    _ => None,
                })
                .collect();
            eprintln!("{TEST}: source events: MIGRATION {statuses:?}, MIGRATION_PASS {passes:?}");
            assert_eq!(statuses.first(), Some(&MigrationStatus::Setup));
            assert!(statuses.contains(&MigrationStatus::Active), "{statuses:?}");
            assert!(!passes.is_empty());
            assert_eq!(passes, (1..=passes.len() as i64).collect::<Vec<_>>());

            // The same events raw, on the second monitor: each decodes into
            // its 7.2 variant and encodes back to the data received.
            let mut raw = Vec::new();
            while raw.len() < typed.len() {
                let e = raw_events
                    .recv()
                    .await
                    .expect("the second monitor stays open")
                    .expect("raw events always decode");
                raw.push(e);
            }
            for (t, r) in typed.iter().zip(&raw) {
                assert_eq!(t.timestamp, r.timestamp);
                assert_eq!(t.event.name(), r.event.name);
                let data = r.event.raw_data();
                let decoded = Event::decode(&r.event.name, data.as_deref());
                let decoded = checks.check(decoded.map_err(|e| format!("{}: {e}", r.event.name)));
                if let Some(decoded) = decoded {
                    assert_eq!(decoded, t.event);
                    let back = decoded.data().unwrap();
                    let received = r.event.data().unwrap();
                    checks.check(if back == received {
                        Ok(())
                    } else {
                        Err(format!(
                            "event {}: re-encoded {back:?}, received {received:?}",
                            r.event.name
                        ))
                    });
                }
                // The 5.2 bindings know these events too.
                let old = v5_2::qmp::Event::decode(&r.event.name, data.as_deref()).unwrap();
                assert!(!matches!(old, v5_2::qmp::Event::Unknown { .. }), "{old:?}");
                assert_eq!(old.data().unwrap(), r.event.data().unwrap());
            }

            // QEMU sends MIGRATION `completed` before the source's migration
            // thread finishes: it computes the final statistics (total
            // time, downtime, mbps) and leaves `finish-migrate` for
            // `postmigrate` afterwards.  Wait for that (the test's time
            // limit bounds the wait).
            let src_status = loop {
                let s = client.query_status().await.unwrap();
                if s.status != RunState::FinishMigrate {
                    break s;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            };
            assert_eq!(src_status.status, RunState::Postmigrate);

            // query-migrate, typed and raw.
            let info = client.query_migrate().await.unwrap();
            assert_eq!(info.status, Some(MigrationStatus::Completed), "{info:?}");
            let ram = info.ram.as_ref().expect("ram statistics");
            assert!(ram.total >= 64 << 20, "{ram:?}");
            assert!(ram.transferred > 0, "{ram:?}");
            assert_eq!(ram.remaining, 0, "{ram:?}");
            assert_eq!(ram.dirty_sync_count, passes.len() as i64, "{ram:?}");
            assert!(
                info.total_time.is_some() && info.downtime.is_some(),
                "{info:?}"
            );
            let raw_info = qmp_raw(&client, &QueryMigrate {}).await;
            if let Some(decoded) = checks.round_trip::<QueryMigrate>(&raw_info) {
                assert_eq!(decoded, info);
            }
            eprintln!("{TEST}: query-migrate: {}", raw_info.get());
            // The 5.2 bindings decode it too.
            let old: v5_2::qmp::MigrationInfo =
                json::decode("query-migrate", raw_info.get()).unwrap();
            assert_eq!(old.status, Some(v5_2::qmp::MigrationStatus::Completed));
            assert_eq!(old.ram.map(|r| r.transferred), Some(ram.transferred));

            // The destination completed too, and left `inmigrate`.
            loop {
                let e = dst_events.recv().await.expect("open").expect("decodes");
                if matches!(&e.event, Event::Migration(m) if m.status == MigrationStatus::Completed)
                {
                    break;
                }
            }
            let dst_status = dst_client.query_status().await.unwrap();
            assert_ne!(dst_status.status, RunState::Inmigrate);
            let raw_status = qmp_raw(&dst_client, &QueryStatus {}).await;
            checks.round_trip::<QueryStatus>(&raw_status);
            eprintln!(
                "{TEST}: source {:?}, destination {:?}",
                src_status.status, dst_status.status
            );
            let raw_dst = qmp_raw(&dst_client, &QueryMigrate {}).await;
            checks.round_trip::<QueryMigrate>(&raw_dst);
            checks.finish(TEST);
        })
        .await;
    }
}

/// `qemu-storage-daemon` with a null-co node exported over NBD, with the
/// 7.2 storage-daemon bindings.
#[cfg(qapi_shared)]
mod storage_daemon {
    use super::common::*;
    use v7_2::storage_daemon::{
        BlockDirtyBitmapAdd, BlockExportType, Commands as _, Event, QueryBlock, QueryBlockExports,
        QueryBlockJobs, QueryBlockstats, QueryChardev, QueryChardevBackends, QueryCommands,
        QueryJobs, QueryNamedBlockNodes, QueryQmpSchema, QueryVersion, SchemaInfoMetaType,
        XDebugQueryBlockGraph,
    };

    const TEST: &str = "storage_daemon_7_2";

    /// A storage daemon with node `n0` (1 MiB) exported as `e0`; the NBD
    /// socket is in `sockets`.
    pub fn start(bin: &std::path::Path, sockets: &TempDir) -> Peer {
        let nbd = format!(
            "addr.type=unix,addr.path={}",
            sockets.join("nbd.sock").display()
        );
        Peer::storage_daemon(
            bin,
            &[
                "--blockdev",
                "null-co,node-name=n0,size=1048576",
                "--nbd-server",
                &nbd,
                "--export",
                "type=nbd,id=e0,node-name=n0",
            ],
        )
        .unwrap()
    }

    #[tokio::test]
    async fn storage_daemon_7_2() {
        let Some(bin) = peers::binary(TEST, Program::StorageDaemon) else {
            return;
        };
        within(TEST, async {
            let sockets = TempDir::new().unwrap();
            let mut daemon = start(&bin, &sockets);
            let client: Client<Event> = qmp(&mut daemon).await;
            let greeting = client.greeting().clone();
            assert_eq!(
                (greeting.version.qemu.major, greeting.version.qemu.minor),
                (7, 2)
            );
            assert!(client.oob_enabled());

            client
                // A boxed command: the method takes its argument type.
                .block_dirty_bitmap_add(BlockDirtyBitmapAdd::new("n0", "b0"))
                .await
                .unwrap();

            let nodes = client
                .query_named_block_nodes(QueryNamedBlockNodes { flat: None })
                .await
                .unwrap();
            let n0 = nodes
                .iter()
                .find(|n| n.node_name.as_deref() == Some("n0"))
                .unwrap_or_else(|| panic!("no n0 in {nodes:?}"));
            assert_eq!(n0.drv, "null-co");
            assert_eq!(n0.image.virtual_size, 1 << 20);
            assert_eq!(n0.image.format, "null-co");
            let bitmaps = n0.dirty_bitmaps.as_deref().unwrap_or_default();
            assert_eq!(
                bitmaps
                    .iter()
                    .map(|b| (b.name.as_deref(), b.count, b.recording))
                    .collect::<Vec<_>>(),
                [(Some("b0"), 0, true)]
            );

            let exports = client.query_block_exports().await.unwrap();
            assert_eq!(exports.len(), 1, "{exports:?}");
            assert_eq!(
                (
                    exports[0].id.as_str(),
                    &exports[0].r#type,
                    exports[0].node_name.as_str()
                ),
                ("e0", &BlockExportType::Nbd, "n0")
            );
            assert!(!exports[0].shutting_down);

            let commands = client.query_commands().await.unwrap();
            let schema = client.query_qmp_schema().await.unwrap();
            let introspected = schema
                .iter()
                .filter(|s| matches!(s.meta_type, SchemaInfoMetaType::Command(_)))
                .count();
            assert_eq!(introspected, commands.len());
            assert!(
                schema
                    .iter()
                    .all(|s| !matches!(s.meta_type, SchemaInfoMetaType::Unknown { .. }))
            );

            let mut checks = Checks::default();
            macro_rules! round_trips {
                ($($cmd:expr),* $(,)?) => {$({
                    let cmd = $cmd;
                    let raw = qmp_raw(&client, &cmd).await;
                    round_trip_as(&mut checks, &cmd, &raw);
                })*};
            }
            fn round_trip_as<C: Command>(checks: &mut Checks, _: &C, raw: &RawValue) {
                checks.round_trip::<C>(raw);
            }
            round_trips!(
                QueryNamedBlockNodes { flat: None },
                QueryNamedBlockNodes { flat: Some(true) },
                QueryBlockExports {},
                QueryVersion {},
                QueryCommands {},
                QueryQmpSchema {},
                QueryBlock {},
                QueryBlockstats {
                    query_nodes: Some(true)
                },
                QueryBlockJobs {},
                QueryJobs {},
                QueryChardev {},
                QueryChardevBackends {},
                XDebugQueryBlockGraph {},
            );
            checks.finish(TEST);
        })
        .await;
    }
}

/// `qemu-ga` on a Unix socket, with the 7.2 guest-agent bindings.
#[cfg(qapi_shared)]
mod guest_agent {
    use super::common::*;
    use v7_2::qga::*;

    const TEST: &str = "guest_agent_7_2";

    /// This machine's host name and kernel release, as the agent reads them.
    pub fn host() -> (String, String) {
        let read = |p: &str| std::fs::read_to_string(p).unwrap().trim().to_owned();
        (
            read("/proc/sys/kernel/hostname"),
            read("/proc/sys/kernel/osrelease"),
        )
    }

    #[tokio::test]
    async fn guest_agent_7_2() {
        let Some(bin) = peers::binary(TEST, Program::GuestAgent) else {
            return;
        };
        within(TEST, async {
            let mut ga = Peer::guest_agent(&bin).unwrap();
            let client = agent(&mut ga).await;

            client.guest_ping().await.unwrap();
            let info = client.guest_info().await.unwrap();
            assert!(info.version.starts_with("7.2"), "{}", info.version);
            let ping = info
                .supported_commands
                .iter()
                .find(|c| c.name == "guest-ping")
                .expect("guest-ping is listed");
            assert!(ping.enabled && ping.success_response);
            let shutdown = info
                .supported_commands
                .iter()
                .find(|c| c.name == "guest-shutdown")
                .expect("guest-shutdown is listed");
            assert!(!shutdown.success_response);

            let (host_name, release) = host();
            assert_eq!(
                client.guest_get_host_name().await.unwrap().host_name,
                host_name
            );
            let os = client.guest_get_osinfo().await.unwrap();
            assert_eq!(os.kernel_release.as_deref(), Some(release.as_str()));
            assert_eq!(os.machine.as_deref(), Some(std::env::consts::ARCH));
            assert!(client.guest_get_time().await.unwrap() > 0);
            let interfaces = client.guest_network_get_interfaces().await.unwrap();
            let lo = interfaces.iter().find(|i| i.name == "lo").expect("lo");
            assert!(
                lo.ip_addresses
                    .iter()
                    .flatten()
                    .any(|a| a.ip_address == "127.0.0.1" && a.prefix == 8),
                "{lo:?}"
            );
            let vcpus = client.guest_get_vcpus().await.unwrap();
            assert!(!vcpus.is_empty());
            assert_eq!(
                client.guest_fsfreeze_status().await.unwrap(),
                GuestFsfreezeStatus::Thawed
            );

            let mut checks = Checks::default();
            macro_rules! round_trips {
                ($($cmd:expr),* $(,)?) => {$({
                    let cmd = $cmd;
                    let raw = qga_raw(&client, &cmd).await;
                    round_trip_as(&mut checks, &cmd, &raw);
                })*};
            }
            fn round_trip_as<C: Command>(checks: &mut Checks, _: &C, raw: &RawValue) {
                checks.round_trip::<C>(raw);
            }
            round_trips!(
                GuestPing {},
                GuestInfo {},
                GuestGetHostName {},
                GuestGetOsinfo {},
                GuestGetTime {},
                GuestGetTimezone {},
                GuestGetUsers {},
                GuestNetworkGetInterfaces {},
                GuestGetVcpus {},
                GuestFsfreezeStatusCommand {},
                GuestGetMemoryBlockInfo {},
                GuestGetCpustats {},
                GuestGetDiskstats {},
            );
            // These read the machine's block devices and memory blocks in
            // sysfs, which a container may lack: checked when they answer.
            macro_rules! when_supported {
                ($($cmd:expr),* $(,)?) => {$({
                    let cmd = $cmd;
                    match client.execute_raw(name_of(&cmd), None).await {
                        Ok(raw) => round_trip_as(&mut checks, &cmd, &raw),
                        // The agent's own error (the sysfs it reads is
                        // missing); anything else is the client's failure.
                        Err(e) if e.qmp().is_some() => {
                            eprintln!("{TEST}: {} not checked: {e}", name_of(&cmd))
                        }
                        Err(e) => panic!("{TEST}: {}: {e}", name_of(&cmd)),
                    }
                })*};
            }
            fn name_of<C: Command>(_: &C) -> &'static str {
                C::NAME
            }
            when_supported!(GuestGetFsinfo {}, GuestGetDisks {}, GuestGetMemoryBlocks {});
            checks.finish(TEST);
        })
        .await;
    }
}

/// The 5.2 bindings against the same QEMU 7.2 programs: older bindings,
/// newer QEMU.  Replies must decode (unknown members ignored, unknown
/// values in the catch-alls) and make sense; they are not expected to
/// round-trip, since what 5.2 does not know is dropped.
#[cfg(qapi_shared)]
mod older_bindings {
    use super::common::*;
    use std::collections::BTreeSet;

    /// The `name` members of a raw list.
    fn names(raw: &RawValue) -> Vec<String> {
        let v: Vec<Value> = serde_json::from_str(raw.get()).unwrap();
        v.iter()
            .map(|e| e["name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn qemu_system_with_5_2_bindings() {
        use v5_2::qmp::*;
        const TEST: &str = "qemu_system_with_5_2_bindings";
        let Some(bin) = peers::binary(TEST, Program::System) else {
            return;
        };
        within(TEST, async {
            let mut qemu = Peer::qemu_system(&bin, &["-M", "none"]).unwrap();
            let client: Client = qmp(&mut qemu).await;
            assert!(client.oob_enabled());

            let version = client.query_version().await.unwrap();
            assert_eq!((version.qemu.major, version.qemu.minor), (7, 2));
            let status = client.query_status().await.unwrap();
            assert_eq!(status.status, RunState::Running);
            assert!(status.running);

            let mut checks = Checks::default();
            let raw = qmp_raw(&client, &QueryCommands {}).await;
            let commands = client.query_commands().await.unwrap();
            assert_eq!(
                commands.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
                names(&raw)
            );
            checks.decode::<QueryCommands>(&raw);

            // The introspected schema: every entity decodes, with a meta
            // type 5.2 knows.
            let raw = qmp_raw(&client, &QueryQmpSchema {}).await;
            let schema = client.query_qmp_schema().await.unwrap();
            assert_eq!(
                schema.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
                names(&raw)
            );
            assert!(
                schema
                    .iter()
                    .all(|s| !matches!(s.meta_type, SchemaInfoMetaType::Unknown { .. }))
            );
            checks.decode::<QueryQmpSchema>(&raw);
            // Events newer than 5.2 land in the catch-all.
            let unknown: BTreeSet<&str> = schema
                .iter()
                .filter(|s| s.meta_type() == SchemaMetaType::Event)
                .map(|s| s.name.as_str())
                .filter(|n| matches!(Event::decode(n, None), Ok(Event::Unknown { .. })))
                .collect();
            eprintln!("{TEST}: events 5.2 does not know: {unknown:?}");
            assert!(unknown.contains("NETDEV_STREAM_CONNECTED"), "{unknown:?}");
            assert!(!unknown.contains("MIGRATION"), "{unknown:?}");

            for raw in [
                qmp_raw(&client, &QueryVersion {}).await,
                qmp_raw(&client, &QueryStatus {}).await,
            ] {
                let v: Value = serde_json::from_str(raw.get()).unwrap();
                assert!(v.is_object(), "{v}");
            }
            let raw = qmp_raw(&client, &QueryVersion {}).await;
            assert_eq!(checks.decode::<QueryVersion>(&raw), Some(version));
            let raw = qmp_raw(&client, &QueryStatus {}).await;
            assert_eq!(checks.decode::<QueryStatus>(&raw), Some(status));

            // Migration capabilities newer than 5.2 are kept as sent.
            let caps = client.query_migrate_capabilities().await.unwrap();
            let unknown_caps: Vec<&str> = caps
                .iter()
                .filter_map(|c| match &c.capability {
                    MigrationCapability::Unknown(name) => Some(name.as_str()),
                    _ => None,
                })
                .collect();
            eprintln!("{TEST}: migration capabilities 5.2 does not know: {unknown_caps:?}");
            assert!(
                unknown_caps.contains(&"postcopy-preempt"),
                "{unknown_caps:?}"
            );
            assert!(
                caps.iter()
                    .any(|c| c.capability == MigrationCapability::Events)
            );

            macro_rules! decodes {
                ($($cmd:expr),* $(,)?) => {$({
                    let cmd = $cmd;
                    let raw = qmp_raw(&client, &cmd).await;
                    decode_as(&mut checks, &cmd, &raw);
                })*};
            }
            fn decode_as<C: Command>(checks: &mut Checks, _: &C, raw: &RawValue) {
                checks.decode::<C>(raw);
            }
            decodes!(
                QueryBlock {},
                QueryBlockExports {},
                QueryBlockJobs {},
                QueryBlockstats { query_nodes: None },
                QueryChardev {},
                QueryChardevBackends {},
                QueryColoStatus {},
                QueryCommandLineOptions { option: None },
                QueryCpuDefinitions {},
                QueryCpusFast {},
                QueryCurrentMachine {},
                QueryDirtyRate {},
                QueryDisplayOptions {},
                QueryDump {},
                QueryDumpGuestMemoryCapability {},
                QueryFdsets {},
                QueryIothreads {},
                QueryJobs {},
                QueryKvm {},
                QueryMachines {},
                QueryMemdev {},
                QueryMemoryDevices {},
                QueryMemorySizeSummary {},
                QueryMice {},
                QueryMigrate {},
                QueryMigrateCapabilities {},
                QueryMigrateParameters {},
                QueryName {},
                QueryNamedBlockNodes { flat: None },
                QueryPci {},
                QueryPrManagers {},
                QueryReplay {},
                QueryRxFilter { name: None },
                QuerySev {},
                QuerySpice {},
                QueryTarget {},
                QueryTpm {},
                QueryTpmModels {},
                QueryTpmTypes {},
                QueryUuid {},
                QueryVnc {},
                QueryVncServers {},
                QueryXenReplicationStatus {},
            );

            // A command 5.2 has (deprecated) and 7.2 dropped fails cleanly.
            #[allow(deprecated)]
            let err = client.query_cpus().await.unwrap_err();
            assert_eq!(
                err.qmp().map(|e| &e.class),
                Some(&qapi_types::ErrorClass::CommandNotFound),
                "{err}"
            );
            checks.finish(TEST);
        })
        .await;
    }

    #[tokio::test]
    async fn storage_daemon_with_5_2_bindings() {
        use v5_2::storage_daemon::*;
        const TEST: &str = "storage_daemon_with_5_2_bindings";
        let Some(bin) = peers::binary(TEST, Program::StorageDaemon) else {
            return;
        };
        within(TEST, async {
            let sockets = TempDir::new().unwrap();
            let mut daemon = super::storage_daemon::start(&bin, &sockets);
            let client: Client = qmp(&mut daemon).await;
            let mut checks = Checks::default();

            let version = client.query_version().await.unwrap();
            assert_eq!((version.qemu.major, version.qemu.minor), (7, 2));
            let exports = client.query_block_exports().await.unwrap();
            assert_eq!(
                exports
                    .iter()
                    .map(|e| (e.id.as_str(), &e.r#type, e.node_name.as_str()))
                    .collect::<Vec<_>>(),
                [("e0", &BlockExportType::Nbd, "n0")]
            );
            let commands = client.query_commands().await.unwrap();
            let schema = client.query_qmp_schema().await.unwrap();
            assert_eq!(
                schema
                    .iter()
                    .filter(|s| s.meta_type() == SchemaMetaType::Command)
                    .count(),
                commands.len()
            );

            macro_rules! decodes {
                ($($cmd:expr),* $(,)?) => {$({
                    let cmd = $cmd;
                    let raw = qmp_raw(&client, &cmd).await;
                    decode_as(&mut checks, &cmd, &raw);
                })*};
            }
            fn decode_as<C: Command>(checks: &mut Checks, _: &C, raw: &RawValue) {
                checks.decode::<C>(raw);
            }
            decodes!(
                QueryBlockExports {},
                QueryVersion {},
                QueryCommands {},
                QueryQmpSchema {},
                QueryBlock {},
                QueryBlockstats {
                    query_nodes: Some(true)
                },
                QueryBlockJobs {},
                QueryJobs {},
                QueryChardev {},
                QueryChardevBackends {},
                XDebugQueryBlockGraph {},
            );
            checks.finish(TEST);
        })
        .await;
    }

    /// `query-named-block-nodes` with the 5.2 bindings: 5.2's
    /// `BlockDeviceInfo` has the member `encryption_key_missing` (required,
    /// with the `deprecated` feature, "always false"), which QEMU 6.0
    /// removed.  The bindings must decode 7.2's nodes all the same, which
    /// they do since qapi-gen makes deprecated members optional.
    #[tokio::test]
    async fn named_block_nodes_with_5_2_bindings() {
        use v5_2::storage_daemon::*;
        const TEST: &str = "named_block_nodes_with_5_2_bindings";
        let Some(bin) = peers::binary(TEST, Program::StorageDaemon) else {
            return;
        };
        within(TEST, async {
            let sockets = TempDir::new().unwrap();
            let mut daemon = super::storage_daemon::start(&bin, &sockets);
            let client: Client = qmp(&mut daemon).await;
            let mut checks = Checks::default();
            for flat in [None, Some(true)] {
                let raw = qmp_raw(&client, &QueryNamedBlockNodes { flat }).await;
                if let Some(nodes) = checks.decode::<QueryNamedBlockNodes>(&raw) {
                    let n0 = nodes.iter().find(|n| n.node_name.as_deref() == Some("n0"));
                    let n0 = n0.unwrap_or_else(|| panic!("no n0 in {nodes:?}"));
                    assert_eq!(
                        (n0.drv.as_str(), n0.image.virtual_size),
                        ("null-co", 1 << 20)
                    );
                    // QEMU 7.2 no longer sends it.
                    #[allow(deprecated)]
                    let missing = n0.encryption_key_missing;
                    assert_eq!(missing, None);
                }
            }
            // And typed, as a user calls it.
            let typed = client
                .query_named_block_nodes(QueryNamedBlockNodes { flat: None })
                .await;
            checks.check(typed.map_err(|e| format!("query-named-block-nodes, typed: {e}")));
            checks.finish(TEST);
        })
        .await;
    }

    #[tokio::test]
    async fn guest_agent_with_5_2_bindings() {
        use v5_2::qga::*;
        const TEST: &str = "guest_agent_with_5_2_bindings";
        let Some(bin) = peers::binary(TEST, Program::GuestAgent) else {
            return;
        };
        within(TEST, async {
            let mut ga = Peer::guest_agent(&bin).unwrap();
            let client = agent(&mut ga).await;
            client.guest_ping().await.unwrap();
            let info = client.guest_info().await.unwrap();
            assert!(info.version.starts_with("7.2"), "{}", info.version);
            // Commands newer than 5.2 are listed all the same.
            assert!(
                info.supported_commands
                    .iter()
                    .any(|c| c.name == "guest-get-cpustats")
            );
            let (host_name, release) = super::guest_agent::host();
            assert_eq!(
                client.guest_get_host_name().await.unwrap().host_name,
                host_name
            );
            let os = client.guest_get_osinfo().await.unwrap();
            assert_eq!(os.kernel_release.as_deref(), Some(release.as_str()));
            assert!(client.guest_get_time().await.unwrap() > 0);
            assert!(!client.guest_get_vcpus().await.unwrap().is_empty());

            let mut checks = Checks::default();
            macro_rules! decodes {
                ($($cmd:expr),* $(,)?) => {$({
                    let cmd = $cmd;
                    let raw = qga_raw(&client, &cmd).await;
                    decode_as(&mut checks, &cmd, &raw);
                })*};
            }
            fn decode_as<C: Command>(checks: &mut Checks, _: &C, raw: &RawValue) {
                checks.decode::<C>(raw);
            }
            decodes!(
                GuestPing {},
                GuestInfo {},
                GuestGetHostName {},
                GuestGetOsinfo {},
                GuestGetTime {},
                GuestGetTimezone {},
                GuestGetUsers {},
                GuestNetworkGetInterfaces {},
                GuestGetVcpus {},
                GuestFsfreezeStatusCommand {},
                GuestGetMemoryBlockInfo {},
            );
            macro_rules! when_supported {
                ($($cmd:expr),* $(,)?) => {$({
                    let cmd = $cmd;
                    match client.execute_raw(name_of(&cmd), None).await {
                        Ok(raw) => decode_as(&mut checks, &cmd, &raw),
                        // The agent's own error (the sysfs it reads is
                        // missing); anything else is the client's failure.
                        Err(e) if e.qmp().is_some() => {
                            eprintln!("{TEST}: {} not checked: {e}", name_of(&cmd))
                        }
                        Err(e) => panic!("{TEST}: {}: {e}", name_of(&cmd)),
                    }
                })*};
            }
            fn name_of<C: Command>(_: &C) -> &'static str {
                C::NAME
            }
            when_supported!(GuestGetFsinfo {}, GuestGetDisks {}, GuestGetMemoryBlocks {});
            checks.finish(TEST);
        })
        .await;
    }
}
