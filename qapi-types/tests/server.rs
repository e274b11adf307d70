//! The QMP server runtime over a generated-style dispatcher: negotiation,
//! QEMU's error texts, ids, out-of-band execution, events, many clients.

mod common;

use std::sync::Arc;

use common::server::{Dispatcher, Handler};
use common::*;
use qapi_types::client::Client;
use qapi_types::serde_json::{Value, json};
use qapi_types::server::Server;
use qapi_types::{Empty, QmpError, VersionInfo, VersionTriple};
use tokio::net::UnixStream;
use tokio::sync::Semaphore;

#[derive(Clone)]
struct TestHandler {
    /// `x-block` waits for a permit.
    gate: Arc<Semaphore>,
}

impl Handler for TestHandler {
    async fn query_status(&self) -> Result<StatusInfo, QmpError> {
        Ok(StatusInfo {
            running: true,
            status: RunState::Running,
            singlestep: Some(false),
        })
    }
    async fn set_link(&self, args: SetLink) -> Result<Empty, QmpError> {
        Err(QmpError::generic(format!(
            "Device '{}' not found",
            args.name
        )))
    }
    async fn migrate_set_parameters(&self, _: MigrateSetParameters) -> Result<Empty, QmpError> {
        Ok(Empty {})
    }
    async fn x_args(&self, _: XArgs) -> Result<Empty, QmpError> {
        Ok(Empty {})
    }
    async fn x_echo(&self, args: XEcho) -> Result<i64, QmpError> {
        Ok(args.value)
    }
    async fn x_block(&self) -> Result<Empty, QmpError> {
        let _permit = self.gate.acquire().await;
        Ok(Empty {})
    }
    async fn x_oob_ping(&self) -> Result<String, QmpError> {
        Ok("pong".into())
    }
    async fn x_no_reply(&self) -> Result<Empty, QmpError> {
        Ok(Empty {})
    }
}

type TestServer = Server<Dispatcher<TestHandler>>;

fn server() -> (TestServer, Arc<Semaphore>) {
    let gate = Arc::new(Semaphore::new(0));
    let server = Server::builder(Dispatcher(TestHandler { gate: gate.clone() }))
        .version(VersionInfo {
            qemu: VersionTriple {
                major: 7,
                minor: 2,
                micro: 22,
            },
            package: "qapi-rs test".into(),
        })
        .build();
    (server, gate)
}

/// A raw connection to `server`, greeting already read.
async fn connect(server: &TestServer) -> Peer {
    let (a, b) = UnixStream::pair().unwrap();
    let s = server.clone();
    tokio::spawn(async move { s.serve_stream(a).await });
    let mut peer = Peer::new(b);
    let greeting = peer.read().await;
    assert!(greeting.get("QMP").is_some());
    peer
}

/// A raw connection that has negotiated `caps`.
async fn negotiated(server: &TestServer, caps: &[&str]) -> Peer {
    let mut peer = connect(server).await;
    let r = ask(
        &mut peer,
        json!({"execute": "qmp_capabilities", "arguments": {"enable": caps}}),
    )
    .await;
    assert_eq!(r, json!({"return": {}}));
    peer
}

async fn ask(peer: &mut Peer, req: Value) -> Value {
    peer.send_json(&req).await;
    peer.read().await
}

fn error(class: &str, desc: &str) -> Value {
    json!({"error": {"class": class, "desc": desc}})
}

fn generic(desc: &str) -> Value {
    error("GenericError", desc)
}

#[tokio::test]
async fn greeting_announces_version_and_oob() {
    deadline(async {
        let (server, _) = server();
        let (a, b) = UnixStream::pair().unwrap();
        let s = server.clone();
        tokio::spawn(async move { s.serve_stream(a).await });
        let mut peer = Peer::new(b);
        assert_eq!(
            peer.read().await,
            json!({"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 22}, "package": "qapi-rs test"}, "capabilities": ["oob"]}})
        );
    })
    .await;
}

#[tokio::test]
async fn commands_before_negotiation() {
    deadline(async {
        let (server, _) = server();
        let mut peer = connect(&server).await;
        let expecting = "Expecting capabilities negotiation with 'qmp_capabilities'";
        assert_eq!(
            ask(&mut peer, json!({"execute": "query-status", "id": 1})).await,
            json!({"id": 1, "error": {"class": "CommandNotFound", "desc": expecting}})
        );
        assert_eq!(
            ask(&mut peer, json!({"execute": "nonexistent"})).await,
            error("CommandNotFound", expecting)
        );
        assert_eq!(
            ask(&mut peer, json!({"exec-oob": "x-oob-ping", "id": 2})).await,
            json!({"id": 2, "error": {"class": "GenericError", "desc": "QMP input member 'exec-oob' is unexpected"}})
        );
        assert_eq!(
            ask(&mut peer, json!({"execute": "qmp_capabilities", "id": "neg"})).await,
            json!({"return": {}, "id": "neg"})
        );
        assert_eq!(
            ask(&mut peer, json!({"execute": "query-status", "id": 3})).await,
            json!({"return": {"running": true, "status": "running", "singlestep": false}, "id": 3})
        );
        assert_eq!(
            ask(&mut peer, json!({"execute": "qmp_capabilities"})).await,
            error(
                "CommandNotFound",
                "Capabilities negotiation is already complete, command ignored"
            )
        );
    })
    .await;
}

#[tokio::test]
async fn unknown_command() {
    deadline(async {
        let (server, _) = server();
        let mut peer = negotiated(&server, &[]).await;
        assert_eq!(
            ask(&mut peer, json!({"execute": "nonexistent", "id": 4})).await,
            json!({"id": 4, "error": {"class": "CommandNotFound", "desc": "The command nonexistent has not been found"}})
        );
    })
    .await;
}

#[tokio::test]
async fn bad_arguments_get_qemus_texts() {
    deadline(async {
        let (server, _) = server();
        let mut peer = negotiated(&server, &[]).await;
        let cases: &[(&str, Value, &str)] = &[
            // Missing members, in schema order, before unexpected ones.
            (
                "set_link",
                json!({"bogus": 1}),
                "Parameter 'name' is missing",
            ),
            (
                "set_link",
                json!({"up": true, "bogus": 1}),
                "Parameter 'name' is missing",
            ),
            (
                "set_link",
                json!({"name": "x"}),
                "Parameter 'up' is missing",
            ),
            (
                "set_link",
                json!({"name": "x", "up": true, "bogus": 1}),
                "Parameter 'bogus' is unexpected",
            ),
            (
                "query-status",
                json!({"a": 1}),
                "Parameter 'a' is unexpected",
            ),
            // Wrong types.
            (
                "set_link",
                json!({"name": 1, "up": true}),
                "Invalid parameter type for 'name', expected: string",
            ),
            (
                "set_link",
                json!({"name": null, "up": true}),
                "Invalid parameter type for 'name', expected: string",
            ),
            (
                "set_link",
                json!({"name": "x", "up": 1}),
                "Invalid parameter type for 'up', expected: boolean",
            ),
            (
                "x-args",
                json!({"count": "1"}),
                "Invalid parameter type for 'count', expected: integer",
            ),
            (
                "x-args",
                json!({"count": 1.5}),
                "Invalid parameter type for 'count', expected: integer",
            ),
            (
                "x-args",
                json!({"count": 1e3}),
                "Invalid parameter type for 'count', expected: integer",
            ),
            (
                "x-args",
                json!({"count": 18446744073709551615u64}),
                "Invalid parameter type for 'count', expected: integer",
            ),
            (
                "x-args",
                json!({"count": 1, "ratio": "x"}),
                "Invalid parameter type for 'ratio', expected: number",
            ),
            (
                "x-args",
                json!({"count": 1, "tags": {}}),
                "Invalid parameter type for 'tags', expected: array",
            ),
            (
                "x-args",
                json!({"count": 1, "opts": []}),
                "Invalid parameter type for 'opts', expected: object",
            ),
            (
                "x-args",
                json!({"count": 1, "nothing": 0}),
                "Invalid parameter type for 'nothing', expected: null",
            ),
            // Unsigned integers and enumerations.
            (
                "migrate-set-parameters",
                json!({"max-bandwidth": "x"}),
                "Parameter 'max-bandwidth' expects uint64",
            ),
            (
                "migrate-set-parameters",
                json!({"max-bandwidth": 1.5}),
                "Parameter 'max-bandwidth' expects uint64",
            ),
            (
                "migrate-set-parameters",
                json!({"multifd-compression": "bogus"}),
                "Parameter 'multifd-compression' does not accept value 'bogus'",
            ),
            (
                "migrate-set-parameters",
                json!({"multifd-compression": 3}),
                "Invalid parameter type for 'multifd-compression', expected: string",
            ),
            (
                "migrate-set-parameters",
                json!({"block-incremental": "yes"}),
                "Invalid parameter type for 'block-incremental', expected: boolean",
            ),
        ];
        for (i, (cmd, args, desc)) in cases.iter().enumerate() {
            let reply = ask(
                &mut peer,
                json!({"execute": cmd, "arguments": args, "id": i}),
            )
            .await;
            assert_eq!(
                reply,
                json!({"id": i, "error": {"class": "GenericError", "desc": desc}}),
                "{cmd} {args}"
            );
        }
        // Good arguments reach the handler.
        for (cmd, args) in [
            (
                "x-args",
                json!({"count": -5, "ratio": 2, "tags": ["a"], "opts": {"k": 1}, "nothing": null}),
            ),
            (
                "migrate-set-parameters",
                json!({"max-bandwidth": 0, "multifd-compression": "zstd"}),
            ),
            (
                "migrate-set-parameters",
                json!({"max-bandwidth": 18446744073709551615u64}),
            ),
            // QEMU takes negative numbers for uint64 and wraps them around.
            ("migrate-set-parameters", json!({"max-bandwidth": -1})),
        ] {
            assert_eq!(
                ask(&mut peer, json!({"execute": cmd, "arguments": args})).await,
                json!({"return": {}}),
                "{cmd} {args}"
            );
        }
        // Handler errors come back as they are.
        assert_eq!(
            ask(
                &mut peer,
                json!({"execute": "set_link", "arguments": {"name": "net9", "up": true}})
            )
            .await,
            generic("Device 'net9' not found")
        );
    })
    .await;
}

#[tokio::test]
async fn malformed_requests_get_qemus_texts_and_the_connection_stays() {
    deadline(async {
        let (server, _) = server();
        let mut peer = negotiated(&server, &["oob"]).await;
        let cases: &[(&[u8], &str)] = &[
            (b"garbage\n", "JSON parse error, invalid keyword 'garbage'"),
            (b"{\"execute\":}\n", "JSON parse error, expecting value"),
            (b"{\"execute\" \"x\"}\n", "JSON parse error, missing : in object pair"),
            (b"{\"execute\":\"query-status\",}\n", "JSON parse error, expecting value"),
            (b"}\n", "JSON parse error, expecting value"),
            (b"@\n", "JSON parse error, stray '@'"),
            (b"{\"execute\":\"x\",\"id\":tru}\n", "JSON parse error, invalid keyword 'tru'"),
            (b"{\"execute\":\"x\",\"id\":\"a\\qb\"}\n", "JSON parse error, invalid escape sequence in string"),
            (b"{\"execute\":\"a\",\"execute\":\"b\"}\n", "JSON parse error, duplicate key"),
            (b"[1, 2]\n", "QMP input must be a JSON object"),
            (b"3\n", "QMP input must be a JSON object"),
            (b"\"str\"\n", "QMP input must be a JSON object"),
            (b"{\"arguments\": {}}\n", "QMP input lacks member 'execute'"),
            (b"{\"execute\": 1}\n", "QMP input member 'execute' must be a string"),
            (b"{\"execute\": \"query-status\", \"arguments\": []}\n", "QMP input member 'arguments' must be an object"),
            (b"{\"execute\": \"query-status\", \"bogus\": 1}\n", "QMP input member 'bogus' is unexpected"),
        ];
        for (input, desc) in cases {
            peer.send(input).await;
            assert_eq!(peer.read().await, generic(desc), "{}", String::from_utf8_lossy(input));
        }
        // Members are checked in the order QEMU's QDict holds them.
        for input in [
            &b"{\"execute\": \"query-status\", \"exec-oob\": \"x-oob-ping\", \"id\": 1}"[..],
            &b"{\"exec-oob\": \"x-oob-ping\", \"id\": 1, \"execute\": \"query-status\"}"[..],
        ] {
            peer.send(input).await;
            assert_eq!(
                peer.read().await,
                json!({"id": 1, "error": {"class": "GenericError", "desc": "QMP input member 'execute' clashes with 'exec-oob'"}})
            );
        }
        assert_eq!(
            ask(&mut peer, json!({"execute": "x-echo", "arguments": {"value": 7}, "id": 8})).await,
            json!({"return": 7, "id": 8})
        );
    })
    .await;
}

#[tokio::test]
async fn ids_are_echoed_as_sent() {
    deadline(async {
        let (server, _) = server();
        let mut peer = negotiated(&server, &[]).await;
        for id in [
            json!(0),
            json!("abc"),
            json!({"a": [1, {"b": null}]}),
            json!(null),
            json!([]),
            json!(1.5),
            json!(-3),
        ] {
            let reply = ask(
                &mut peer,
                json!({"execute": "x-echo", "arguments": {"value": 1}, "id": id}),
            )
            .await;
            assert_eq!(reply, json!({"return": 1, "id": id}));
            let reply = ask(&mut peer, json!({"execute": "nonexistent", "id": id})).await;
            assert_eq!(reply["id"], id);
        }
    })
    .await;
}

#[tokio::test]
async fn requests_are_framed_by_json_not_by_lines() {
    deadline(async {
        let (server, _) = server();
        let mut peer = negotiated(&server, &[]).await;
        peer.send(b"{\"execute\":\"x-echo\",\"arguments\":{\"value\":1},\"id\":1}{\"execute\":\"x-echo\",\n\"arguments\":{\"value\":\n2},\"id\":2}").await;
        assert_eq!(peer.read().await, json!({"return": 1, "id": 1}));
        assert_eq!(peer.read().await, json!({"return": 2, "id": 2}));
        // In-band requests are answered in order.
        let mut batch = Vec::new();
        for i in 0..20 {
            batch.extend_from_slice(format!("{{\"execute\":\"x-echo\",\"arguments\":{{\"value\":{i}}},\"id\":{i}}}").as_bytes());
        }
        peer.send(&batch).await;
        for i in 0..20 {
            assert_eq!(peer.read().await, json!({"return": i, "id": i}));
        }
    })
    .await;
}

#[tokio::test]
async fn out_of_band_commands_overtake_in_band_ones() {
    deadline(async {
        let (server, gate) = server();
        let mut peer = negotiated(&server, &["oob"]).await;
        peer.send_json(&json!({"execute": "x-block", "id": "slow"})).await;
        peer.send_json(&json!({"execute": "x-echo", "arguments": {"value": 1}, "id": "queued"})).await;
        peer.send_json(&json!({"exec-oob": "x-oob-ping", "id": "fast"})).await;
        assert_eq!(peer.read().await, json!({"return": "pong", "id": "fast"}));
        assert_eq!(
            ask(&mut peer, json!({"exec-oob": "query-status", "id": "no"})).await,
            json!({"id": "no", "error": {"class": "GenericError", "desc": "The command query-status does not support OOB"}})
        );
        assert_eq!(
            ask(&mut peer, json!({"exec-oob": "nonexistent", "id": "nx"})).await,
            json!({"id": "nx", "error": {"class": "CommandNotFound", "desc": "The command nonexistent has not been found"}})
        );
        gate.add_permits(1);
        assert_eq!(peer.read().await, json!({"return": {}, "id": "slow"}));
        assert_eq!(peer.read().await, json!({"return": 1, "id": "queued"}));
    })
    .await;
}

#[tokio::test]
async fn exec_oob_needs_oob_enabled() {
    deadline(async {
        let (server, _) = server();
        let mut peer = negotiated(&server, &[]).await;
        assert_eq!(
            ask(&mut peer, json!({"exec-oob": "x-oob-ping", "id": 1})).await,
            json!({"id": 1, "error": {"class": "GenericError", "desc": "QMP input member 'exec-oob' is unexpected"}})
        );
    })
    .await;
}

#[tokio::test]
async fn capabilities_the_server_does_not_offer() {
    deadline(async {
        let server = Server::builder(Dispatcher(TestHandler {
            gate: Arc::new(Semaphore::new(0)),
        }))
        .capabilities(Vec::<String>::new())
        .build();
        let (a, b) = UnixStream::pair().unwrap();
        let s = server.clone();
        tokio::spawn(async move { s.serve_stream(a).await });
        let mut peer = Peer::new(b);
        assert_eq!(peer.read().await["QMP"]["capabilities"], json!([]));
        let cases = [
            (json!({"enable": ["oob"]}), "Capability oob not available"),
            (
                json!({"enable": ["foo"]}),
                "Parameter 'null' does not accept value 'foo'",
            ),
            (
                json!({"enable": [1]}),
                "Invalid parameter type for 'enable[0]', expected: string",
            ),
            (
                json!({"enable": "oob"}),
                "Invalid parameter type for 'enable', expected: array",
            ),
            (json!({"enable": [], "x": 1}), "Parameter 'x' is unexpected"),
        ];
        for (args, desc) in cases {
            assert_eq!(
                ask(
                    &mut peer,
                    json!({"execute": "qmp_capabilities", "arguments": args})
                )
                .await,
                generic(desc)
            );
        }
        assert_eq!(
            ask(
                &mut peer,
                json!({"execute": "qmp_capabilities", "arguments": {"enable": []}})
            )
            .await,
            json!({"return": {}})
        );
    })
    .await;
}

#[tokio::test]
async fn commands_without_success_response_are_not_answered() {
    deadline(async {
        let (server, _) = server();
        let mut peer = negotiated(&server, &[]).await;
        peer.send_json(&json!({"execute": "x-no-reply", "id": 1}))
            .await;
        assert_eq!(
            ask(
                &mut peer,
                json!({"execute": "x-echo", "arguments": {"value": 2}, "id": 2})
            )
            .await,
            json!({"return": 2, "id": 2})
        );
    })
    .await;
}

#[tokio::test]
async fn events_reach_negotiated_clients_only() {
    deadline(async {
        let (server, _) = server();
        let events = server.event_sender();
        let mut early = negotiated(&server, &[]).await;
        let mut pending = connect(&server).await;
        let mut late = connect(&server).await;
        assert_eq!(events.receiver_count(), 1);
        // Sent before `late` negotiates: it never sees this one.
        assert_eq!(events.send_event(&StopEvent {}).unwrap(), 1);
        assert_eq!(
            ask(&mut late, json!({"execute": "qmp_capabilities"})).await,
            json!({"return": {}})
        );
        // The writer subscribes after the reply; wait for it.
        while events.receiver_count() < 2 {
            tokio::task::yield_now().await;
        }
        events
            .send(&Event::Shutdown(ShutdownEvent {
                guest: false,
                reason: "host-qmp-quit".into(),
            }))
            .unwrap();

        let stop = early.read().await;
        assert_eq!(stop["event"], "STOP");
        assert_eq!(stop.get("data"), None);
        assert!(stop["timestamp"]["seconds"].as_i64().unwrap() > 1_600_000_000);
        assert!(stop["timestamp"]["microseconds"].as_i64().unwrap() < 1_000_000);
        for peer in [&mut early, &mut late] {
            let ev = peer.read().await;
            assert_eq!(ev["event"], "SHUTDOWN");
            assert_eq!(
                ev["data"],
                json!({"guest": false, "reason": "host-qmp-quit"})
            );
        }
        // The unnegotiated client got nothing: its next line is a reply.
        assert_eq!(
            ask(&mut pending, json!({"execute": "query-status", "id": 1})).await["id"],
            1
        );
    })
    .await;
}

#[tokio::test]
async fn typed_clients_against_the_server() {
    deadline(async {
        let (server, _) = server();
        let dir = std::env::temp_dir().join(format!("qapi-types-server-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("qmp.sock");
        let _ = std::fs::remove_file(&path);
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let s = server.clone();
        tokio::spawn(async move { s.serve_unix(listener).await });

        let mut clients = Vec::new();
        for _ in 0..10 {
            let client: Client<Event> = Client::connect_unix(&path).await.unwrap();
            assert!(client.oob_enabled());
            assert_eq!(client.greeting().version.qemu.minor, 2);
            clients.push(client);
        }
        let mut tasks = Vec::new();
        for (c, client) in clients.iter().enumerate() {
            for t in 0..4 {
                let client = client.clone();
                tasks.push(tokio::spawn(async move {
                    for i in 0..25 {
                        let v = (c * 10_000 + t * 100 + i) as i64;
                        assert_eq!(client.execute(XEcho { value: v }).await.unwrap(), v);
                    }
                }));
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
        let status = clients[0].execute(QueryStatus {}).await.unwrap();
        assert_eq!(status.status, RunState::Running);
        assert_eq!(clients[1].execute(XOobPing {}).await.unwrap(), "pong");
        let err = clients[2]
            .execute(SetLink {
                name: "nic".into(),
                up: true,
            })
            .await
            .unwrap_err();
        assert_eq!(
            err.qmp(),
            Some(&QmpError::generic("Device 'nic' not found"))
        );

        let mut subscription = clients[3].events();
        let sender = server.event_sender();
        while sender.receiver_count() < clients.len() {
            tokio::task::yield_now().await;
        }
        sender.send_raw("X_NEW", Some(&json!({"n": 1}))).unwrap();
        sender.send_event(&ResumeEvent {}).unwrap();
        let ev = subscription.recv().await.unwrap().unwrap();
        assert_eq!(
            ev.event,
            Event::Unknown {
                name: "X_NEW".into(),
                data: Some(json!({"n": 1}))
            }
        );
        // An event without data arrives and decodes (its wire form, without
        // `data`, is checked by `events_reach_negotiated_clients_only`).
        let ev = subscription.recv().await.unwrap().unwrap();
        assert_eq!(ev.event, Event::Resume(ResumeEvent {}));
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await;
}

#[tokio::test]
async fn serves_tcp() {
    deadline(async {
        let (server, _) = server();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let s = server.clone();
        tokio::spawn(async move { s.serve_tcp(listener).await });
        let client: Client<Event> = Client::connect_tcp(addr).await.unwrap();
        assert_eq!(client.execute(XEcho { value: 42 }).await.unwrap(), 42);
    })
    .await;
}

#[tokio::test]
async fn large_and_oversized_requests() {
    deadline(async {
        let server = Server::builder(Dispatcher(TestHandler {
            gate: Arc::new(Semaphore::new(0)),
        }))
        .max_message_size(1024 * 1024)
        .build();
        let mut peer = {
            let (a, b) = UnixStream::pair().unwrap();
            let s = server.clone();
            tokio::spawn(async move { s.serve_stream(a).await });
            let mut peer = Peer::new(b);
            let _ = peer.read().await;
            peer
        };
        assert_eq!(
            ask(&mut peer, json!({"execute": "qmp_capabilities"})).await,
            json!({"return": {}})
        );
        let big = "z".repeat(900 * 1024);
        assert_eq!(
            ask(
                &mut peer,
                json!({"execute": "x-args", "arguments": {"count": 1, "tags": [big]}})
            )
            .await,
            json!({"return": {}})
        );
        let too_big = "z".repeat(2 * 1024 * 1024);
        assert_eq!(
            ask(
                &mut peer,
                json!({"execute": "x-args", "arguments": {"count": 1, "tags": [too_big]}})
            )
            .await,
            generic("JSON token size limit exceeded")
        );
        assert_eq!(
            ask(
                &mut peer,
                json!({"execute": "x-echo", "arguments": {"value": 3}})
            )
            .await,
            json!({"return": 3})
        );
    })
    .await;
}

#[tokio::test]
async fn a_client_that_hangs_up_mid_command() {
    deadline(async {
        let (server, gate) = server();
        let (a, b) = UnixStream::pair().unwrap();
        let s = server.clone();
        let served = tokio::spawn(async move { s.serve_stream(a).await });
        let mut peer = Peer::new(b);
        let _ = peer.read().await;
        assert_eq!(
            ask(&mut peer, json!({"execute": "qmp_capabilities"})).await,
            json!({"return": {}})
        );
        peer.send_json(&json!({"execute": "x-block"})).await;
        peer.send(b"{\"execute\": \"x-ec").await;
        drop(peer);
        served.await.unwrap().unwrap();
        gate.add_permits(1);
    })
    .await;
}
