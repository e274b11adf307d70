//! Probing against a scripted fake server that records every request it
//! receives: one `query-qmp-schema` per connection however many callers
//! ask, and commands the schema lacks refused before they are sent.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use qapi_types::client::{Client, ClientBuilder, Error};
use qapi_types::serde_json::{Value, json};
use qapi_types::{ErrorClass, Execute, VersionTriple};
use tokio::net::UnixStream;

/// The fake server's schema: `query-status`, `query-qmp-schema`,
/// `human-monitor-command` (with an optional `cpu-index`) and the event
/// `STOP`; no `x-echo`, no `stop`, no `SHUTDOWN`.
fn schema() -> Value {
    json!([
        {"name": "query-status", "meta-type": "command", "arg-type": "0", "ret-type": "1"},
        {"name": "query-qmp-schema", "meta-type": "command", "arg-type": "0", "ret-type": "[2]"},
        {"name": "human-monitor-command", "meta-type": "command", "arg-type": "3",
         "ret-type": "str"},
        {"name": "STOP", "meta-type": "event", "arg-type": "0"},
        {"name": "0", "meta-type": "object", "members": []},
        {"name": "1", "meta-type": "object", "members": [
            {"name": "running", "type": "bool"},
            {"name": "status", "type": "4"}]},
        {"name": "[2]", "meta-type": "array", "element-type": "2"},
        {"name": "2", "meta-type": "object", "members": [{"name": "name", "type": "str"}]},
        {"name": "3", "meta-type": "object", "members": [
            {"name": "command-line", "type": "str"},
            {"name": "cpu-index", "type": "int", "default": null}]},
        {"name": "4", "meta-type": "enum", "values": ["running", "paused"]},
        {"name": "str", "meta-type": "builtin", "json-type": "string"},
        {"name": "int", "meta-type": "builtin", "json-type": "int"},
        {"name": "bool", "meta-type": "builtin", "json-type": "boolean"}
    ])
}

/// The greeting's version.
const VERSION: VersionTriple = VersionTriple {
    major: 7,
    minor: 2,
    micro: 22,
};

/// What the fake server answers to `query-qmp-schema`, in turn: a whole
/// message without its id.  When the list runs out it answers with
/// [`schema`].
type Answers = VecDeque<Value>;

/// The names of the commands the fake server received after negotiation,
/// in order.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn names(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    fn count(&self, name: &str) -> usize {
        self.names().iter().filter(|n| *n == name).count()
    }
}

/// A client connected through `builder` to a fake server that records the
/// commands it receives and answers every one of them, the schema after
/// `delay`.
async fn start(
    builder: ClientBuilder,
    answers: Answers,
    delay: Duration,
) -> Result<(Client<Event>, Log), Error> {
    let (a, b) = UnixStream::pair().unwrap();
    let log = Log::default();
    tokio::spawn(serve(Peer::new(b), log.clone(), answers, delay));
    let client = builder.connect_unix_stream(a).await?;
    Ok((client, log))
}

async fn serve(mut peer: Peer, log: Log, mut answers: Answers, delay: Duration) {
    peer.handshake(&["oob"]).await;
    while let Some(req) = peer.try_read().await {
        let name = req["execute"].as_str().unwrap_or_default().to_owned();
        log.0.lock().unwrap().push(name.clone());
        let mut reply = match name.as_str() {
            "query-qmp-schema" => {
                tokio::time::sleep(delay).await;
                answers
                    .pop_front()
                    .unwrap_or_else(|| json!({"return": schema()}))
            }
            "query-status" => json!({"return": {"running": true, "status": "running"}}),
            "x-echo" => json!({"return": req["arguments"]["value"]}),
            _ => json!({"return": {}}),
        };
        reply["id"] = req["id"].clone();
        peer.send_json(&reply).await;
    }
}

fn probed() -> ClientBuilder {
    ClientBuilder::new().probe(true)
}

#[tokio::test]
async fn an_unprobed_client_sends_everything() {
    deadline(async {
        let (client, log) = start(ClientBuilder::new(), Answers::new(), Duration::ZERO)
            .await
            .unwrap();
        assert!(client.capabilities().is_none());
        assert_eq!(client.execute(XEcho { value: 5 }).await.unwrap(), 5);
        assert_eq!(log.names(), ["x-echo"]);
    })
    .await;
}

#[tokio::test]
async fn concurrent_callers_share_one_probe() {
    deadline(async {
        // The schema comes late, so that every caller asks while the
        // first request is in flight.
        let (client, log) = start(
            ClientBuilder::new(),
            Answers::new(),
            Duration::from_millis(200),
        )
        .await
        .unwrap();
        let callers: Vec<_> = (0..8)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.probe().await })
            })
            .collect();
        let mut answers = Vec::new();
        for caller in callers {
            answers.push(caller.await.unwrap().unwrap());
        }
        assert!(answers.iter().all(|a| Arc::ptr_eq(a, &answers[0])));
        let again = client.probe().await.unwrap();
        assert!(Arc::ptr_eq(&again, &answers[0]));
        assert!(
            client
                .capabilities()
                .is_some_and(|c| Arc::ptr_eq(&c, &again))
        );
        assert_eq!(log.names(), ["query-qmp-schema"]);
    })
    .await;
}

#[tokio::test]
async fn a_command_the_server_lacks_is_never_sent() {
    deadline(async {
        let (client, log) = start(probed(), Answers::new(), Duration::ZERO)
            .await
            .unwrap();
        assert_eq!(log.names(), ["query-qmp-schema"]);

        let err = client.execute(XEcho { value: 1 }).await.unwrap_err();
        assert!(
            matches!(&err, Error::NotSupported { command, version }
                if command == "x-echo" && *version == VERSION),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "'x-echo' is unsupported by this server (QEMU 7.2.22)"
        );
        // Every way of running a typed command checks, the generated
        // methods' way (the `Execute` trait) included.
        let err = client
            .execute_with_timeout(Stop {}, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotSupported { .. }), "{err:?}");
        let err = Execute::execute(&client, Stop {}).await.unwrap_err();
        assert!(matches!(err, Error::NotSupported { .. }), "{err:?}");

        // A command it has goes through.  Requests are written in order,
        // so had the refused ones been sent, the server would have seen
        // them first.
        let status = client.execute(QueryStatus {}).await.unwrap();
        assert_eq!(status.status, RunState::Running);
        assert_eq!(log.names(), ["query-qmp-schema", "query-status"]);

        // The raw way asks the server regardless.
        let raw = client
            .execute_raw("x-echo", Some(json!({"value": 9})))
            .await
            .unwrap();
        assert_eq!(raw.get(), "9");
        assert_eq!(log.count("x-echo"), 1);
        assert_eq!(log.count("stop"), 0);
    })
    .await;
}

#[tokio::test]
async fn capabilities_answer_from_the_schema() {
    deadline(async {
        let (client, _log) = start(ClientBuilder::new(), Answers::new(), Duration::ZERO)
            .await
            .unwrap();
        let caps = client.probe().await.unwrap();
        assert_eq!(caps.version(), VERSION);
        assert_eq!(caps.version(), client.greeting().version.qemu);
        assert!(caps.has_command::<QueryStatus>());
        assert!(caps.has_command::<HumanMonitorCommand>());
        assert!(!caps.has_command::<XEcho>());
        assert!(caps.has_event::<StopEvent>());
        assert!(!caps.has_event::<ShutdownEvent>());
        assert_eq!(
            caps.has_argument::<HumanMonitorCommand>("*cpu-index"),
            Ok(true)
        );
        assert_eq!(
            caps.has_argument::<HumanMonitorCommand>("*command-line"),
            Ok(false)
        );
        assert_eq!(caps.has_argument::<XEcho>("value"), Ok(false));
        assert_eq!(caps.has("query-status/ret-type/status/^paused"), Ok(true));
        assert_eq!(caps.has("query-status/ret-type/status/^debug"), Ok(false));
        assert!(caps.has_argument::<HumanMonitorCommand>("").is_err());
        assert_eq!(caps.schema().commands().count(), 3);
    })
    .await;
}

#[tokio::test]
async fn a_failed_probe_is_not_kept() {
    deadline(async {
        let answers = Answers::from([
            json!({"error": {"class": "CommandNotFound",
                             "desc": "The command query-qmp-schema has not been found"}}),
            json!({"return": 42}),
        ]);
        let (client, log) = start(ClientBuilder::new(), answers, Duration::ZERO)
            .await
            .unwrap();
        let err = client.probe().await.unwrap_err();
        assert_eq!(
            err.qmp().map(|e| &e.class),
            Some(&ErrorClass::CommandNotFound)
        );
        assert!(client.capabilities().is_none());
        // Unprobed, nothing is refused.
        assert_eq!(client.execute(XEcho { value: 2 }).await.unwrap(), 2);

        let err = client.probe().await.unwrap_err();
        assert!(
            matches!(&err, Error::Decode { command, .. } if command == "query-qmp-schema"),
            "{err:?}"
        );
        assert!(client.capabilities().is_none());

        client.probe().await.unwrap();
        assert!(client.execute(XEcho { value: 3 }).await.is_err());
        assert_eq!(
            log.names(),
            [
                "query-qmp-schema",
                "x-echo",
                "query-qmp-schema",
                "query-qmp-schema"
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn a_failed_probe_on_connect_fails_connecting() {
    deadline(async {
        let answers = Answers::from([json!({"return": {"not": "a schema"}})]);
        let err = start(probed(), answers, Duration::ZERO)
            .await
            .err()
            .expect("connecting fails");
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn the_probe_on_connect_keeps_to_the_handshake_timeout() {
    deadline(async {
        let err = start(
            probed().handshake_timeout(Duration::from_millis(100)),
            Answers::new(),
            Duration::from_secs(20),
        )
        .await
        .err()
        .expect("connecting times out");
        assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    })
    .await;
}
