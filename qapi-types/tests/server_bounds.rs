//! The server's memory bounds: a client that does not read its replies
//! stops being read, its commands stop running, and other clients go on;
//! events for it are dropped.  Over `tokio::io::duplex` pipes with small
//! buffers and a paused clock, so that "everything waits" is a state the
//! test reaches (a sleep ends only when no task can run), not a guess.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use qapi_types::QmpError;
use qapi_types::serde_json::{self, Value, json, value::RawValue};
use qapi_types::server::{CommandInfo, Dispatch, DispatchFuture, Server};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf};

/// Counts the commands it runs.
#[derive(Clone, Default)]
struct Counting {
    calls: Arc<AtomicUsize>,
}

impl Dispatch for Counting {
    fn command_info(&self, name: &str) -> Option<CommandInfo> {
        match name {
            "query-status" => Some(CommandInfo::new()),
            "x-ping" => Some(CommandInfo::new().allow_oob(true)),
            _ => None,
        }
    }

    fn dispatch<'a>(&'a self, name: &'a str, _: Option<&'a RawValue>) -> DispatchFuture<'a> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            match name {
                "query-status" => Ok(json!({"running": true, "status": "running"})),
                "x-ping" => Ok(json!("pong")),
                _ => Err(QmpError::command_not_found(name)),
            }
        })
    }
}

struct Client {
    reader: BufReader<ReadHalf<DuplexStream>>,
    writer: WriteHalf<DuplexStream>,
}

impl Client {
    async fn read(&mut self) -> Value {
        let mut line = String::new();
        let n = self.reader.read_line(&mut line).await.expect("read");
        assert!(n > 0, "server closed the connection");
        serde_json::from_str(&line).expect("a JSON line")
    }

    async fn ask(&mut self, req: Value) -> Value {
        let mut line = req.to_string();
        line.push('\n');
        self.writer.write_all(line.as_bytes()).await.expect("write");
        loop {
            let msg = self.read().await;
            if msg.get("event").is_none() {
                return msg;
            }
        }
    }
}

/// A negotiated client over a pipe of `pipe` bytes each way.
async fn connect(server: &Server<Counting>, pipe: usize) -> Client {
    let (ours, theirs) = tokio::io::duplex(pipe);
    let s = server.clone();
    tokio::spawn(async move { s.serve_stream(theirs).await });
    let (r, w) = tokio::io::split(ours);
    let mut c = Client {
        reader: BufReader::new(r),
        writer: w,
    };
    assert!(c.read().await.get("QMP").is_some());
    assert_eq!(
        c.ask(json!({"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}}))
            .await,
        json!({"return": {}})
    );
    c
}

/// Waits until no task can run: with the clock paused, a sleep ends only
/// then.
async fn until_all_wait() {
    tokio::time::sleep(Duration::from_secs(60)).await;
}

const REQUESTS: usize = 20_000;

/// Writes `REQUESTS` copies of `request` in a task that reports how many
/// bytes went out.
fn flood(
    mut writer: WriteHalf<DuplexStream>,
    request: &str,
) -> (
    tokio::task::JoinHandle<WriteHalf<DuplexStream>>,
    Arc<AtomicUsize>,
) {
    let sent = Arc::new(AtomicUsize::new(0));
    let line = format!("{request}\n");
    let counter = sent.clone();
    let task = tokio::spawn(async move {
        for _ in 0..REQUESTS {
            writer.write_all(line.as_bytes()).await.expect("write");
            counter.fetch_add(line.len(), Ordering::SeqCst);
        }
        writer
    });
    (task, sent)
}

fn server(handler: &Counting) -> Server<Counting> {
    Server::builder(handler.clone())
        .max_queued_messages(4)
        .max_queued_bytes(64 * 1024)
        .event_capacity(2)
        .build()
}

/// How many commands may have run for a client that reads nothing, with
/// replies of `reply` bytes: those in its queue (4), in the writer's hands
/// (4), in the 4096-byte pipe, one waiting for room, and the out-of-band
/// ones running (8).
fn bound(reply: &str) -> usize {
    4 + 4 + 4096 / (reply.len() + 2) + 1 + 1 + 8
}

#[tokio::test(start_paused = true)]
async fn a_client_that_does_not_read_stops_being_read_and_others_go_on() {
    let handler = Counting::default();
    let server = server(&handler);
    let events = server.event_sender();
    let stuck = connect(&server, 4096).await;
    let calls_before = handler.calls.load(Ordering::SeqCst);
    let Client {
        reader: mut stuck_reader,
        writer,
    } = stuck;
    let (task, sent) = flood(writer, r#"{"execute": "query-status"}"#);
    until_all_wait().await;

    let ran = handler.calls.load(Ordering::SeqCst) - calls_before;
    assert!(
        !task.is_finished(),
        "the server read all {REQUESTS} requests"
    );
    assert!(
        ran <= bound(r#"{"return":{"running":true,"status":"running"}}"#),
        "{ran} commands ran for a client that read nothing"
    );
    let total = REQUESTS * r#"{"execute": "query-status"}"#.len();
    assert!(sent.load(Ordering::SeqCst) < total / 10);

    // Another client is served meanwhile, and gets the events the stuck
    // one cannot take.
    let mut other = connect(&server, 4096).await;
    assert_eq!(
        other.ask(json!({"execute": "query-status", "id": 7})).await,
        json!({"return": {"running": true, "status": "running"}, "id": 7})
    );
    assert_eq!(events.receiver_count(), 2);
    assert_eq!(events.send_raw("STOP", None).unwrap(), 1);
    let stop = other.read().await;
    assert_eq!(stop["event"], "STOP");

    // Once the stuck client reads, everything is answered, in order.
    let reading = tokio::spawn(async move {
        let mut line = String::new();
        for i in 0..REQUESTS {
            line.clear();
            stuck_reader.read_line(&mut line).await.expect("read");
            let v: Value = serde_json::from_str(&line).expect("JSON");
            assert_eq!(v["return"]["status"], "running", "reply {i}: {v}");
        }
        stuck_reader
    });
    task.await.expect("the flood ends once replies are read");
    reading.await.expect("every reply arrives");
    assert_eq!(
        handler.calls.load(Ordering::SeqCst) - calls_before,
        REQUESTS + 1
    );
}

#[tokio::test(start_paused = true)]
async fn out_of_band_floods_are_bounded_too() {
    let handler = Counting::default();
    let server = server(&handler);
    let stuck = connect(&server, 4096).await;
    let calls_before = handler.calls.load(Ordering::SeqCst);
    let (task, _) = flood(stuck.writer, r#"{"exec-oob": "x-ping", "id": 1}"#);
    until_all_wait().await;
    let ran = handler.calls.load(Ordering::SeqCst) - calls_before;
    assert!(!task.is_finished());
    assert!(
        ran <= bound(r#"{"return":"pong","id":1}"#),
        "{ran} out-of-band commands ran"
    );
}

#[tokio::test(start_paused = true)]
async fn events_for_a_slow_client_are_dropped_and_it_stays_connected() {
    let handler = Counting::default();
    let server = server(&handler);
    let events = server.event_sender();
    let mut slow = connect(&server, 64).await;
    // Rounds of events until one finds the client's queue full: the pipe
    // takes part of one, the writer holds what it took from the queue, the
    // queue two more (event_capacity); then every event is dropped.
    let mut queued = 0;
    let mut rounds = 0;
    loop {
        let round: usize = (0..100)
            .map(|_| events.send_raw("STOP", None).unwrap())
            .sum();
        assert!(round <= 2, "{round} events queued at once");
        if round == 0 {
            break;
        }
        queued += round;
        rounds += 1;
        assert!(rounds < 10, "events keep being queued for a stuck client");
        until_all_wait().await;
    }
    assert!(queued >= 2, "{queued} events queued");
    // It reads: what was queued, then replies as usual.
    for _ in 0..queued {
        assert_eq!(slow.read().await["event"], "STOP");
    }
    assert_eq!(
        slow.ask(json!({"execute": "query-status", "id": 1})).await["id"],
        1
    );
    assert_eq!(events.send_raw("RESUME", None).unwrap(), 1);
    assert_eq!(slow.read().await["event"], "RESUME");
}
