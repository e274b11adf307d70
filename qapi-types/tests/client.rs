//! The QMP client against a scripted fake server: protocol, concurrency,
//! events and every way a server can misbehave.

mod common;

use std::collections::VecDeque;
use std::time::Duration;

use common::*;
use qapi_types::client::{Client, ClientBuilder, Error, EventError};
use qapi_types::serde_json::{self, Value, json};
use qapi_types::{Empty, ErrorClass, QmpError};
use tokio::net::UnixStream;

fn builder() -> ClientBuilder {
    ClientBuilder::new()
}

#[tokio::test]
async fn handshake_reads_greeting_and_enables_oob_when_offered() {
    deadline(async {
        let (a, b) = UnixStream::pair().unwrap();
        let peer = tokio::spawn(async move {
            let mut peer = Peer::new(b);
            let req = peer.handshake(&["oob"]).await;
            (peer, req)
        });
        let client: Client<Event> = builder().connect_unix_stream(a).await.unwrap();
        let (_peer, req) = peer.await.unwrap();
        assert_eq!(req["arguments"], json!({"enable": ["oob"]}));
        assert!(req["id"].is_u64());
        assert!(client.oob_enabled());
        assert_eq!(client.greeting().version.qemu.major, 7);
        assert_eq!(client.greeting().version.package, "fake");
        assert_eq!(client.greeting().capabilities, vec!["oob".to_owned()]);
    })
    .await;
}

#[tokio::test]
async fn handshake_without_oob() {
    deadline(async {
        let (a, b) = UnixStream::pair().unwrap();
        let peer = tokio::spawn(async move { Peer::new(b).handshake(&[]).await });
        let client: Client<Event> = builder().connect_unix_stream(a).await.unwrap();
        let req = peer.await.unwrap();
        assert_eq!(req.get("arguments"), None);
        assert!(!client.oob_enabled());
    })
    .await;
}

#[tokio::test]
async fn negotiation_error_fails_connect() {
    deadline(async {
        let (a, b) = UnixStream::pair().unwrap();
        tokio::spawn(async move {
            let mut peer = Peer::new(b);
            peer.send(b"{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}, \"package\": \"\"}, \"capabilities\": []}}\r\n").await;
            let req = peer.read().await;
            peer.send_json(&json!({"error": {"class": "GenericError", "desc": "nope"}, "id": req["id"]})).await;
            peer.try_read().await
        });
        let err = builder().connect_unix_stream::<Event>(a).await.unwrap_err();
        assert_eq!(err.qmp(), Some(&QmpError::generic("nope")));
    })
    .await;
}

#[tokio::test]
async fn not_a_greeting_is_a_protocol_error() {
    deadline(async {
        let (a, b) = UnixStream::pair().unwrap();
        tokio::spawn(async move {
            let mut peer = Peer::new(b);
            peer.send(b"{\"return\": {}}\n").await;
            peer.try_read().await
        });
        let err = builder().connect_unix_stream::<Event>(a).await.unwrap_err();
        assert!(
            matches!(&err, Error::Protocol(m) if m.contains("expected the QMP greeting")),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn silent_server_times_out_the_handshake() {
    deadline(async {
        let (a, b) = UnixStream::pair().unwrap();
        let err = builder()
            .handshake_timeout(Duration::from_millis(100))
            .connect_unix_stream::<Event>(a)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Timeout(_)), "{err}");
        drop(b);
    })
    .await;
}

#[tokio::test]
async fn requests_carry_name_arguments_and_id() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &["oob"]).await;
        let call = tokio::spawn(client.execute(SetLink {
            name: "net0".into(),
            up: false,
        }));
        let req = peer.read().await;
        assert_eq!(req["execute"], "set_link");
        assert_eq!(req["arguments"], json!({"name": "net0", "up": false}));
        peer.reply(&req["id"], json!({})).await;
        assert_eq!(call.await.unwrap().unwrap(), Empty {});

        let call = tokio::spawn(client.execute(QueryStatus {}));
        let req = peer.read().await;
        assert_eq!(req, json!({"execute": "query-status", "id": req["id"]}));
        peer.reply(
            &req["id"],
            json!({"running": true, "status": "running", "singlestep": false}),
        )
        .await;
        let status = call.await.unwrap().unwrap();
        assert_eq!(status.status, RunState::Running);
        assert!(status.running);
    })
    .await;
}

#[tokio::test]
async fn replies_are_matched_by_id_in_any_order() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let calls: Vec<_> = (0..5)
            .map(|i| tokio::spawn(client.execute(XEcho { value: i })))
            .collect();
        let mut reqs = Vec::new();
        for _ in 0..5 {
            reqs.push(peer.read().await);
        }
        for req in reqs.iter().rev() {
            peer.reply(&req["id"], req["arguments"]["value"].clone())
                .await;
        }
        for (i, call) in calls.into_iter().enumerate() {
            assert_eq!(call.await.unwrap().unwrap(), i as i64);
        }
    })
    .await;
}

#[tokio::test]
async fn disconnect_in_the_middle_of_a_reply() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let mut events = client.events();
        let call = tokio::spawn(client.execute(QueryStatus {}));
        let req = peer.read().await;
        let id = req["id"].as_u64().unwrap();
        peer.send(format!("{{\"id\": {id}, \"return\": {{\"running\": tr").as_bytes())
            .await;
        drop(peer);
        let err = call.await.unwrap().unwrap_err();
        assert!(matches!(err, Error::Disconnected), "{err}");
        // Later calls fail the same way, the event stream ends.
        let err = client.execute(QueryStatus {}).await.unwrap_err();
        assert!(matches!(err, Error::Disconnected), "{err}");
        assert!(events.recv().await.is_none());
        client.closed().await;
        assert!(client.is_closed());
    })
    .await;
}

#[tokio::test]
async fn a_reply_that_never_comes_times_out() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let call = tokio::spawn(
            client.execute_with_timeout(XEcho { value: 1 }, Duration::from_millis(100)),
        );
        let late = peer.read().await;
        let err = call.await.unwrap().unwrap_err();
        assert!(
            matches!(err, Error::Timeout(d) if d == Duration::from_millis(100)),
            "{err}"
        );
        // The late reply is discarded and the connection keeps working.
        peer.reply(&late["id"], json!(1)).await;
        let call = tokio::spawn(client.execute(XEcho { value: 2 }));
        let req = peer.read().await;
        assert_ne!(req["id"], late["id"]);
        peer.reply(&req["id"], json!(2)).await;
        assert_eq!(call.await.unwrap().unwrap(), 2);
        assert!(!client.is_closed());
    })
    .await;
}

#[tokio::test]
async fn default_timeout_from_the_builder() {
    deadline(async {
        let (client, mut peer) = connected(builder().timeout(Duration::from_millis(50)), &[]).await;
        let call = tokio::spawn(client.execute(QueryStatus {}));
        let _ = peer.read().await;
        assert!(matches!(call.await.unwrap(), Err(Error::Timeout(_))));
    })
    .await;
}

#[tokio::test]
async fn garbage_fails_pending_calls_with_a_protocol_error() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let first = tokio::spawn(client.execute(QueryStatus {}));
        let second = tokio::spawn(client.execute(XEcho { value: 3 }));
        let _ = peer.read().await;
        let _ = peer.read().await;
        peer.send(b"\x00\x01 this is not json }}\r\n").await;
        for call in [
            first.await.unwrap().map(|_| ()),
            second.await.unwrap().map(|_| ()),
        ] {
            let err = call.unwrap_err();
            assert!(
                matches!(&err, Error::Protocol(m) if m.contains("malformed message")),
                "{err}"
            );
        }
        let err = client.execute(QueryStatus {}).await.unwrap_err();
        assert!(matches!(err, Error::Protocol(_)), "{err}");
    })
    .await;
}

#[tokio::test]
async fn invalid_utf8_is_a_protocol_error() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let call = tokio::spawn(client.execute(QueryStatus {}));
        let _ = peer.read().await;
        peer.send(b"{\"return\": \"\xff\xfe\"}\r\n").await;
        let err = call.await.unwrap().unwrap_err();
        assert!(
            matches!(&err, Error::Protocol(m) if m.contains("not UTF-8")),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_reply_with_an_unknown_id_is_a_protocol_error() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let call = tokio::spawn(client.execute(QueryStatus {}));
        let _ = peer.read().await;
        peer.send_json(&json!({"return": {}, "id": 987654})).await;
        let err = call.await.unwrap().unwrap_err();
        assert!(
            matches!(&err, Error::Protocol(m) if m.contains("id the client never sent (987654)")),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn an_error_reply_without_id_is_a_protocol_error() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let call = tokio::spawn(client.execute(QueryStatus {}));
        let _ = peer.read().await;
        peer.send_json(&json!({"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}))
            .await;
        let err = call.await.unwrap().unwrap_err();
        assert!(
            matches!(&err, Error::Protocol(m) if m.contains("error reply without id (GenericError: JSON parse error, expecting value)")),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_second_greeting_is_ignored() {
    // QEMU 7.2 sometimes greets twice a client that connects early.
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let call = tokio::spawn(client.execute(QueryStatus {}));
        let req = peer.read().await;
        peer.send(b"{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n")
            .await;
        peer.reply(&req["id"], json!({"running": true, "status": "running"}))
            .await;
        let status = call.await.unwrap().unwrap();
        assert!(status.running);
    })
    .await;
}

#[tokio::test]
async fn events_before_the_greeting_are_skipped() {
    deadline(async {
        let (a, b) = UnixStream::pair().unwrap();
        let peer = tokio::spawn(async move {
            let mut peer = Peer::new(b);
            peer.send_json(
                &json!({"event": "RESUME", "timestamp": {"seconds": 1, "microseconds": 2}}),
            )
            .await;
            peer.handshake(&[]).await;
            peer
        });
        let client = builder().connect_unix_stream::<Event>(a).await.unwrap();
        assert_eq!(client.greeting().version.package, "fake");
        drop(peer.await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn an_unknown_enum_value_decodes_to_the_catch_all() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let call = tokio::spawn(client.execute(QueryStatus {}));
        let req = peer.read().await;
        peer.reply(
            &req["id"],
            json!({"running": false, "status": "x-brand-new-state", "new-member": [1, 2]}),
        )
        .await;
        let status = call.await.unwrap().unwrap();
        assert_eq!(status.status, RunState::Unknown("x-brand-new-state".into()));
        assert_eq!(status.singlestep, None);
    })
    .await;
}

#[tokio::test]
async fn error_classes_known_and_unknown() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let call = tokio::spawn(client.execute(QueryStatus {}));
        let req = peer.read().await;
        peer.send_json(&json!({"id": req["id"], "error": {"class": "SomeFutureClass", "desc": "new failure", "extra": 1}}))
            .await;
        let err = call.await.unwrap().unwrap_err();
        assert_eq!(
            err.qmp(),
            Some(&QmpError {
                class: ErrorClass::Other("SomeFutureClass".into()),
                desc: "new failure".into()
            })
        );
        assert_eq!(err.to_string(), "QMP error reply: SomeFutureClass: new failure");

        let call = tokio::spawn(client.execute(QueryStatus {}));
        let req = peer.read().await;
        peer.send_json(&json!({"id": req["id"], "error": {"class": "DeviceNotActive", "desc": "No balloon device has been activated"}}))
            .await;
        let err = call.await.unwrap().unwrap_err();
        assert_eq!(err.qmp().map(|e| &e.class), Some(&ErrorClass::DeviceNotActive));
        // The connection survives error replies.
        assert!(!client.is_closed());
    })
    .await;
}

#[tokio::test]
async fn a_reply_that_does_not_decode_is_a_decode_error() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let call = tokio::spawn(client.execute(QueryStatus {}));
        let req = peer.read().await;
        peer.reply(&req["id"], json!({"running": "yes"})).await;
        let err = call.await.unwrap().unwrap_err();
        assert!(
            matches!(&err, Error::Decode { command, .. } if command == "query-status"),
            "{err}"
        );
        assert!(!client.is_closed());
    })
    .await;
}

#[tokio::test]
async fn a_ten_megabyte_reply() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let call = tokio::spawn(client.execute(XBig {}));
        let req = peer.read().await;
        let chunk = "x".repeat(1024);
        let list: Vec<&str> = std::iter::repeat_n(chunk.as_str(), 10 * 1024).collect();
        peer.reply(&req["id"], json!(list)).await;
        let reply = call.await.unwrap().unwrap();
        assert_eq!(reply.len(), 10 * 1024);
        assert!(reply.iter().all(|s| s == &chunk));
    })
    .await;
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_a_protocol_error() {
    deadline(async {
        let (client, mut peer) = connected(builder().max_message_size(1000), &[]).await;
        let call = tokio::spawn(client.execute(XBig {}));
        let req = peer.read().await;
        peer.reply(&req["id"], json!(["y".repeat(2000)])).await;
        let err = call.await.unwrap().unwrap_err();
        assert!(
            matches!(&err, Error::Protocol(m) if m.contains("exceeds the limit of 1000 bytes")),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_command_without_success_response_completes_when_written() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        // The peer never answers it.
        client.execute(XNoReply {}).await.unwrap();
        let req = peer.read().await;
        assert_eq!(req["execute"], "x-no-reply");
        // The next command still gets its own reply.
        let call = tokio::spawn(client.execute(XEcho { value: 9 }));
        let req = peer.read().await;
        peer.reply(&req["id"], json!(9)).await;
        assert_eq!(call.await.unwrap().unwrap(), 9);
    })
    .await;
}

#[tokio::test]
async fn at_most_eight_in_band_commands_in_flight() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &["oob"]).await;
        const N: i64 = 20;
        let calls: Vec<_> = (0..N)
            .map(|i| tokio::spawn(client.execute(XEcho { value: i })))
            .collect();
        let mut outstanding = VecDeque::new();
        let mut answered = 0;
        let mut most = 0;
        while answered < N {
            while outstanding.len() < 8 && answered + (outstanding.len() as i64) < N {
                let req = peer.read().await;
                assert_eq!(req["execute"], "x-echo");
                outstanding.push_back(req);
            }
            most = most.max(outstanding.len());
            if outstanding.len() == 8 {
                assert!(
                    !peer.sends_within(Duration::from_millis(150)).await,
                    "the client sent a 9th in-band command before one was answered"
                );
            }
            let req = outstanding.pop_front().unwrap();
            peer.reply(&req["id"], req["arguments"]["value"].clone())
                .await;
            answered += 1;
        }
        assert_eq!(most, 8);
        for (i, call) in calls.into_iter().enumerate() {
            assert_eq!(call.await.unwrap().unwrap(), i as i64);
        }
    })
    .await;
}

#[tokio::test]
async fn oob_commands_use_exec_oob_and_skip_the_in_band_limit() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &["oob"]).await;
        let in_band: Vec<_> = (0..8)
            .map(|i| tokio::spawn(client.execute(XEcho { value: i })))
            .collect();
        let mut reqs = Vec::new();
        for _ in 0..8 {
            reqs.push(peer.read().await);
        }
        let oob = tokio::spawn(client.execute(XOobPing {}));
        let req = peer.read().await;
        assert_eq!(req["exec-oob"], "x-oob-ping");
        assert_eq!(req.get("execute"), None);
        assert!(req["id"].is_u64());
        peer.reply(&req["id"], json!("pong")).await;
        assert_eq!(oob.await.unwrap().unwrap(), "pong");
        for req in &reqs {
            peer.reply(&req["id"], req["arguments"]["value"].clone())
                .await;
        }
        for call in in_band {
            call.await.unwrap().unwrap();
        }
    })
    .await;
}

#[tokio::test]
async fn oob_commands_go_in_band_when_oob_is_not_negotiated() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let call = tokio::spawn(client.execute(XOobPing {}));
        let req = peer.read().await;
        assert_eq!(req["execute"], "x-oob-ping");
        peer.reply(&req["id"], json!("pong")).await;
        assert_eq!(call.await.unwrap().unwrap(), "pong");

        let (client, mut peer) = connected(builder().oob(false), &["oob"]).await;
        assert!(!client.oob_enabled());
        let call = tokio::spawn(client.execute(XOobPing {}));
        let req = peer.read().await;
        assert_eq!(req["execute"], "x-oob-ping");
        peer.reply(&req["id"], json!("pong")).await;
        call.await.unwrap().unwrap();
    })
    .await;
}

#[tokio::test]
async fn events_fan_out_to_every_subscriber() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let mut a = client.events();
        let mut b = client.clone().events();
        peer.event("STOP", None).await;
        peer.event(
            "SHUTDOWN",
            Some(json!({"guest": true, "reason": "guest-shutdown"})),
        )
        .await;
        for sub in [&mut a, &mut b] {
            let first = sub.recv().await.unwrap().unwrap();
            assert_eq!(first.event, Event::Stop(StopEvent {}));
            assert_eq!(first.timestamp.seconds, 1700000000);
            assert_eq!(first.timestamp.microseconds, 42);
            let second = sub.recv().await.unwrap().unwrap();
            assert_eq!(
                second.event,
                Event::Shutdown(ShutdownEvent {
                    guest: true,
                    reason: "guest-shutdown".into()
                })
            );
        }
    })
    .await;
}

#[tokio::test]
async fn an_unknown_event_arrives_as_the_catch_all_and_the_stream_goes_on() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let mut events = client.events();
        peer.event("X_FUTURE_EVENT", Some(json!({"node": "n0", "level": 3})))
            .await;
        peer.event("RESUME", None).await;
        let first = events.recv().await.unwrap().unwrap();
        assert_eq!(
            first.event,
            Event::Unknown {
                name: "X_FUTURE_EVENT".into(),
                data: Some(json!({"node": "n0", "level": 3}))
            }
        );
        let second = events.recv().await.unwrap().unwrap();
        assert_eq!(second.event, Event::Resume(ResumeEvent {}));
    })
    .await;
}

#[tokio::test]
async fn an_undecodable_known_event_is_reported_and_the_stream_goes_on() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let mut events = client.events();
        peer.event("SHUTDOWN", Some(json!({"guest": "maybe"})))
            .await;
        peer.event("STOP", None).await;
        match events.recv().await.unwrap() {
            Err(EventError::Undecodable(bad)) => {
                assert_eq!(bad.name, "SHUTDOWN");
                assert_eq!(bad.data.as_ref().unwrap().get(), r#"{"guest":"maybe"}"#);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            events.recv().await.unwrap().unwrap().event,
            Event::Stop(StopEvent {})
        );
    })
    .await;
}

#[tokio::test]
async fn a_lagging_subscriber_is_told_how_many_events_it_lost() {
    deadline(async {
        let (client, mut peer) = connected(builder().event_capacity(4), &[]).await;
        let mut slow = client.events();
        for n in 0..10 {
            peer.event("X_TICK", Some(json!({"n": n}))).await;
        }
        // The reply comes after the events on the wire, so once it is in,
        // all ten events have been dispatched.
        let call = tokio::spawn(client.execute(XEcho { value: 0 }));
        let req = peer.read().await;
        peer.reply(&req["id"], json!(0)).await;
        call.await.unwrap().unwrap();

        match slow.recv().await.unwrap() {
            Err(EventError::Lagged(n)) => assert_eq!(n, 6),
            other => panic!("expected a lag, got {other:?}"),
        }
        assert_eq!(slow.lagged(), 6);
        for n in 6..10 {
            let ev = slow.recv().await.unwrap().unwrap();
            assert_eq!(
                ev.event,
                Event::Unknown {
                    name: "X_TICK".into(),
                    data: Some(json!({"n": n}))
                }
            );
        }
        assert!(slow.try_recv().is_none());
    })
    .await;
}

#[tokio::test]
async fn events_do_not_hold_up_replies() {
    deadline(async {
        let (client, mut peer) = connected(builder().event_capacity(2), &[]).await;
        // A subscriber that never reads.
        let _idle = client.events();
        let call = tokio::spawn(client.execute(XEcho { value: 5 }));
        let req = peer.read().await;
        for n in 0..1000 {
            peer.event("X_TICK", Some(json!({"n": n}))).await;
        }
        peer.reply(&req["id"], json!(5)).await;
        assert_eq!(call.await.unwrap().unwrap(), 5);
    })
    .await;
}

#[tokio::test]
async fn close_fails_pending_calls() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let mut events = client.events();
        let call = tokio::spawn(client.execute(QueryStatus {}));
        let _ = peer.read().await;
        client.close();
        assert!(matches!(call.await.unwrap(), Err(Error::Disconnected)));
        assert!(events.recv().await.is_none());
        // The peer sees the connection end.
        assert!(peer.try_read().await.is_none());
    })
    .await;
}

#[tokio::test]
async fn dropping_the_last_client_closes_the_connection() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let mut events = client.events();
        drop(client);
        assert!(peer.try_read().await.is_none());
        assert!(events.recv().await.is_none());
    })
    .await;
}

#[tokio::test]
async fn raw_commands() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let call = tokio::spawn(client.execute_raw("qom-list", Some(json!({"path": "/machine"}))));
        let req = peer.read().await;
        assert_eq!(req["execute"], "qom-list");
        assert_eq!(req["arguments"], json!({"path": "/machine"}));
        peer.reply(&req["id"], json!([{"name": "type", "type": "string"}]))
            .await;
        let raw = call.await.unwrap().unwrap();
        let v: Value = serde_json::from_str(raw.get()).unwrap();
        assert_eq!(v, json!([{"name": "type", "type": "string"}]));

        let call =
            tokio::spawn(client.execute_raw_with_timeout("stop", None, Duration::from_secs(5)));
        let req = peer.read().await;
        assert_eq!(req.get("arguments"), None);
        peer.reply(&req["id"], json!({})).await;
        assert_eq!(call.await.unwrap().unwrap().get(), "{}");
    })
    .await;
}

#[tokio::test]
async fn many_tasks_share_one_client() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &["oob"]).await;
        let server = tokio::spawn(async move {
            while let Some(req) = peer.try_read().await {
                peer.reply(&req["id"], req["arguments"]["value"].clone())
                    .await;
            }
        });
        let mut tasks = Vec::new();
        for t in 0..8 {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..50 {
                    let v = t * 1000 + i;
                    assert_eq!(client.execute(XEcho { value: v }).await.unwrap(), v);
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        drop(client);
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn fds_need_a_unix_socket() {
    deadline(async {
        let (a, b) = tokio::io::duplex(4096);
        let peer = tokio::spawn(async move {
            let (r, mut w) = tokio::io::split(b);
            use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
            w.write_all(b"{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}, \"package\": \"\"}, \"capabilities\": []}}\r\n").await.unwrap();
            let mut lines = tokio::io::BufReader::new(r).lines();
            let req: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
            w.write_all(format!("{{\"return\": {{}}, \"id\": {}}}\r\n", req["id"]).as_bytes()).await.unwrap();
            (lines, w)
        });
        let client: Client<Event> = Client::connect(a).await.unwrap();
        let _peer = peer.await.unwrap();
        let file = std::fs::File::open("/dev/null").unwrap();
        use std::os::fd::AsFd;
        let err = client
            .execute_with_fds(Getfd { fdname: "f".into() }, &[file.as_fd()])
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unsupported(_)), "{err}");
    })
    .await;
}

/// Receiving SCM_RIGHTS, for checking what the client sends.
#[cfg(target_os = "linux")]
mod recv_fds {
    use std::ffi::{c_int, c_void};
    use std::os::fd::{FromRawFd, OwnedFd, RawFd};

    #[repr(C)]
    struct IoVec {
        base: *mut c_void,
        len: usize,
    }
    #[repr(C)]
    struct MsgHdr {
        name: *mut c_void,
        namelen: u32,
        iov: *mut IoVec,
        iovlen: usize,
        control: *mut c_void,
        controllen: usize,
        flags: c_int,
    }
    unsafe extern "C" {
        fn recvmsg(sockfd: c_int, msg: *mut MsgHdr, flags: c_int) -> isize;
    }

    /// One blocking `recvmsg`: the bytes and the descriptors received.
    pub fn recv(sock: RawFd) -> (Vec<u8>, Vec<OwnedFd>) {
        let mut data = vec![0u8; 65536];
        let mut control = vec![0u64; 64];
        let mut iov = IoVec {
            base: data.as_mut_ptr().cast(),
            len: data.len(),
        };
        let mut msg = MsgHdr {
            name: std::ptr::null_mut(),
            namelen: 0,
            iov: &mut iov,
            iovlen: 1,
            control: control.as_mut_ptr().cast(),
            controllen: control.len() * 8,
            flags: 0,
        };
        let n = unsafe { recvmsg(sock, &mut msg, 0) };
        assert!(n >= 0, "recvmsg: {}", std::io::Error::last_os_error());
        data.truncate(n as usize);
        let mut fds = Vec::new();
        let header = std::mem::size_of::<usize>() + 8;
        if msg.controllen >= header {
            let bytes = unsafe {
                std::slice::from_raw_parts(control.as_ptr().cast::<u8>(), msg.controllen)
            };
            let len = usize::from_ne_bytes(bytes[..8].try_into().unwrap());
            let level = i32::from_ne_bytes(bytes[8..12].try_into().unwrap());
            let kind = i32::from_ne_bytes(bytes[12..16].try_into().unwrap());
            assert_eq!((level, kind), (1, 1), "SOL_SOCKET, SCM_RIGHTS");
            for chunk in bytes[header..len].chunks_exact(4) {
                let fd = i32::from_ne_bytes(chunk.try_into().unwrap());
                fds.push(unsafe { OwnedFd::from_raw_fd(fd) });
            }
        }
        (data, fds)
    }
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn fds_travel_with_the_request() {
    use std::io::{Read, Seek, Write};
    use std::os::fd::{AsFd, AsRawFd};
    deadline(async {
        let (a, b) = UnixStream::pair().unwrap();
        let b = b.into_std().unwrap();
        b.set_nonblocking(false).unwrap();
        let peer = tokio::task::spawn_blocking(move || {
            let mut w = b.try_clone().unwrap();
            w.write_all(b"{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}, \"package\": \"\"}, \"capabilities\": []}}\r\n").unwrap();
            let (line, _) = recv_fds::recv(b.as_raw_fd());
            let req: Value = serde_json::from_slice(&line).unwrap();
            w.write_all(format!("{{\"return\": {{}}, \"id\": {}}}\r\n", req["id"]).as_bytes()).unwrap();
            let (line, fds) = recv_fds::recv(b.as_raw_fd());
            let req: Value = serde_json::from_slice(&line).unwrap();
            w.write_all(format!("{{\"return\": {{}}, \"id\": {}}}\r\n", req["id"]).as_bytes()).unwrap();
            (req, fds, b)
        });
        let client: Client<Event> = ClientBuilder::new().connect_unix_stream(a).await.unwrap();
        let mut file = tempfile_with(b"secret contents");
        client
            .execute_with_fds(Getfd { fdname: "disk0".into() }, &[file.as_fd()])
            .await
            .unwrap();
        let (req, fds, _b) = peer.await.unwrap();
        assert_eq!(req["execute"], "getfd");
        assert_eq!(req["arguments"], json!({"fdname": "disk0"}));
        assert_eq!(fds.len(), 1);
        // The received descriptor is the same open file.
        let mut received = std::fs::File::from(fds.into_iter().next().unwrap());
        received.rewind().unwrap();
        let mut s = String::new();
        received.read_to_string(&mut s).unwrap();
        assert_eq!(s, "secret contents");
        file.rewind().unwrap();
    })
    .await;
}

fn tempfile_with(contents: &[u8]) -> std::fs::File {
    use std::io::Write;
    let path = std::env::temp_dir().join(format!(
        "qapi-types-fd-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    f.write_all(contents).unwrap();
    f
}

/// The handshake has a finite timeout by default (10 s), for the greeting
/// and for `qmp_capabilities`: a server that greets and then says nothing
/// fails the connection instead of hanging it.
#[tokio::test(start_paused = true)]
async fn the_default_handshake_timeout_is_finite() {
    let (a, b) = UnixStream::pair().unwrap();
    let peer = tokio::spawn(async move {
        let mut peer = Peer::new(b);
        peer.send(b"{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}, \"package\": \"\"}, \"capabilities\": []}}\r\n").await;
        let req = peer.read().await;
        assert_eq!(req["execute"], "qmp_capabilities");
        // No reply: hold the connection open until the client gives up.
        peer.try_read().await
    });
    let err = builder().connect_unix_stream::<Event>(a).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout(d) if d == Duration::from_secs(10)),
        "{err}"
    );
    assert_eq!(
        peer.await.unwrap(),
        None,
        "the client closed the connection"
    );
}

/// A server that hangs up right after its greeting: the client's
/// `qmp_capabilities` meets either the end of the stream (the reader sees
/// it first) or a broken pipe (the writer does), and either way the error
/// is the same.
#[tokio::test]
async fn a_server_gone_after_its_greeting_is_disconnected_either_way() {
    deadline(async {
        // The reader first: the greeting waits in the socket, the server
        // is gone.
        let (a, b) = UnixStream::pair().unwrap();
        let mut peer = Peer::new(b);
        peer.send(GREETING).await;
        drop(peer);
        let err = builder().connect_unix_stream::<Event>(a).await.unwrap_err();
        assert!(matches!(err, Error::Disconnected), "{err}");
        // The writer first: a stream that gives the greeting, then never
        // ends, and whose writes meet a broken pipe.
        let err = builder()
            .connect_stream::<Event, _>(GoneAfterGreeting(Some(GREETING)))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Disconnected), "{err}");
    })
    .await;
}

const GREETING: &[u8] = b"{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}, \"package\": \"\"}, \"capabilities\": []}}\r\n";

/// Reads a greeting, then nothing ever; every write is a broken pipe.
struct GoneAfterGreeting(Option<&'static [u8]>);

impl tokio::io::AsyncRead for GoneAfterGreeting {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.0.take() {
            Some(greeting) => {
                buf.put_slice(greeting);
                std::task::Poll::Ready(Ok(()))
            }
            None => std::task::Poll::Pending,
        }
    }
}

impl tokio::io::AsyncWrite for GoneAfterGreeting {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        _: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn wait_for_the_first_event_a_closure_takes() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let mut events = client.events();
        peer.event("STOP", None).await;
        peer.event("X_FUTURE_EVENT", Some(json!({"n": 1}))).await;
        peer.event(
            "SHUTDOWN",
            Some(json!({"guest": true, "reason": "guest-shutdown"})),
        )
        .await;
        let m = events
            .wait_for(Duration::from_secs(5), |e| matches!(e, Event::Shutdown(_)))
            .await
            .unwrap();
        assert!(matches!(&m.event, Event::Shutdown(s) if s.guest));
        // Nothing more comes: the wait times out.
        let err = events
            .wait_for(Duration::from_millis(50), |_| true)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Timeout(_)), "{err}");
        // The connection closes: the wait ends.
        let waiting =
            tokio::spawn(async move { events.wait_for(Duration::from_secs(20), |_| true).await });
        drop(peer);
        let err = waiting.await.unwrap().unwrap_err();
        assert!(matches!(err, Error::Disconnected), "{err}");
    })
    .await;
}

/// An event the command causes may come before its reply: subscribing
/// before sending catches it.
#[tokio::test]
async fn execute_and_wait_catches_an_event_sent_before_the_reply() {
    deadline(async {
        let (client, mut peer) = connected(builder(), &[]).await;
        let server = tokio::spawn(async move {
            let req = peer.read().await;
            assert_eq!(req["execute"], "stop");
            peer.event("STOP", None).await;
            peer.reply(&req["id"], json!({})).await;
            peer
        });
        let (reply, event) = client
            .execute_and_wait(Stop {}, Duration::from_secs(5), |e| {
                matches!(e, Event::Stop(_))
            })
            .await
            .unwrap();
        assert_eq!(reply, Empty {});
        assert!(matches!(event.event, Event::Stop(_)));
        let _peer = server.await.unwrap();
    })
    .await;
}
