//! The guest-agent client against a scripted fake agent: 0xFF
//! resynchronisation, stale data, commands without reply.

mod common;

use std::time::Duration;

use common::*;
use qapi_types::client::Error;
use qapi_types::qga;
use qapi_types::serde_json::{self, Value, json};
use tokio::net::UnixStream;

/// Reads a `guest-sync-delimited` request, checks the 0xFF before it, and
/// returns it.
async fn read_sync(agent: &mut Peer) -> Value {
    let line = agent.read_raw().await;
    assert_eq!(line.first(), Some(&0xFF), "a sync request starts with 0xFF");
    let req: Value = serde_json::from_slice(&line[1..]).unwrap();
    assert_eq!(req["execute"], "guest-sync-delimited");
    assert!(req["arguments"]["id"].is_i64());
    req
}

/// The agent's answer to a sync request.
async fn answer_sync(agent: &mut Peer, req: &Value) {
    let mut line = vec![0xFF];
    line.extend(
        serde_json::to_vec(&json!({"return": req["arguments"]["id"], "id": req["id"]})).unwrap(),
    );
    line.push(b'\n');
    agent.send(&line).await;
}

/// A client connected to a fake agent that answered the first sync.
async fn connected() -> (qga::Client, Peer) {
    let (a, b) = UnixStream::pair().unwrap();
    let agent = tokio::spawn(async move {
        let mut agent = Peer::new(b);
        let req = read_sync(&mut agent).await;
        answer_sync(&mut agent, &req).await;
        agent
    });
    let client = qga::Client::connect(a).await.unwrap();
    (client, agent.await.unwrap())
}

#[tokio::test]
async fn connect_resynchronises_past_stale_data() {
    deadline(async {
        let (a, b) = UnixStream::pair().unwrap();
        let agent = tokio::spawn(async move {
            let mut agent = Peer::new(b);
            let req = read_sync(&mut agent).await;
            // What a previous client left: half a reply, an old sync reply
            // with another number, a complete stale reply, junk.
            agent
                .send(b"{\"return\": {\"version\": \"7.2\", \"supp")
                .await;
            agent.send(b"\xff{\"return\": 12345}\n").await;
            agent
                .send(b"{\"return\": {}, \"id\": 1}\n\x00\x01junk")
                .await;
            answer_sync(&mut agent, &req).await;
            let ping = agent.read().await;
            assert_eq!(ping["execute"], "guest-ping");
            agent.reply(&ping["id"], json!({})).await;
            agent
        });
        let client = qga::Client::connect(a).await.unwrap();
        client.execute(GuestPing {}).await.unwrap();
        let _agent = agent.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn commands_and_replies() {
    deadline(async {
        let (client, mut agent) = connected().await;
        let call = tokio::spawn(client.execute(GuestInfo {}));
        let req = agent.read().await;
        assert_eq!(req["execute"], "guest-info");
        agent
            .reply(&req["id"], json!({"version": "7.2.22", "supported_commands": []}))
            .await;
        assert_eq!(call.await.unwrap().unwrap().version, "7.2.22");

        let call = tokio::spawn(client.execute_raw("guest-get-time", None));
        let req = agent.read().await;
        agent.reply(&req["id"], json!(1795306038211563000i64)).await;
        assert_eq!(call.await.unwrap().unwrap().get(), "1795306038211563000");

        let call = tokio::spawn(client.execute(GuestPing {}));
        let req = agent.read().await;
        agent
            .send_json(&json!({"error": {"class": "CommandNotFound", "desc": "The command guest-ping has not been found"}, "id": req["id"]}))
            .await;
        let err = call.await.unwrap().unwrap_err();
        assert_eq!(err.qmp().unwrap().desc, "The command guest-ping has not been found");
    })
    .await;
}

#[tokio::test]
async fn guest_shutdown_completes_when_sent() {
    deadline(async {
        let (client, mut agent) = connected().await;
        client
            .execute(GuestShutdown {
                mode: Some("powerdown".into()),
            })
            .await
            .unwrap();
        let req = agent.read().await;
        assert_eq!(req["execute"], "guest-shutdown");
        assert_eq!(req["arguments"], json!({"mode": "powerdown"}));
        let call = tokio::spawn(client.execute(GuestPing {}));
        let req = agent.read().await;
        agent.reply(&req["id"], json!({})).await;
        call.await.unwrap().unwrap();
    })
    .await;
}

#[tokio::test]
async fn resync_on_demand_abandons_pending_calls() {
    deadline(async {
        let (client, mut agent) = connected().await;
        let pending = tokio::spawn(client.execute(GuestInfo {}));
        let info = agent.read().await;
        let c = client.clone();
        let resync = tokio::spawn(async move { c.resync().await });
        let sync = read_sync(&mut agent).await;
        // The old reply arrives before the delimiter and is dropped.
        agent.reply(&info["id"], json!({"version": "stale"})).await;
        answer_sync(&mut agent, &sync).await;
        resync.await.unwrap().unwrap();
        let err = pending.await.unwrap().unwrap_err();
        assert!(matches!(err, Error::Resync), "{err}");

        let call = tokio::spawn(client.execute(GuestInfo {}));
        let req = agent.read().await;
        agent.reply(&req["id"], json!({"version": "fresh"})).await;
        assert_eq!(call.await.unwrap().unwrap().version, "fresh");
    })
    .await;
}

#[tokio::test]
async fn a_timeout_triggers_a_resync_before_the_next_call() {
    deadline(async {
        let (client, mut agent) = connected().await;
        let err = client
            .execute_with_timeout(GuestInfo {}, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Timeout(_)), "{err}");
        let slow = agent.read().await;

        let call = tokio::spawn(client.execute(GuestPing {}));
        let sync = read_sync(&mut agent).await;
        // The late reply to the timed-out call, then the sync reply.
        agent.reply(&slow["id"], json!({"version": "late"})).await;
        answer_sync(&mut agent, &sync).await;
        let ping = agent.read().await;
        assert_eq!(ping["execute"], "guest-ping");
        agent.reply(&ping["id"], json!({})).await;
        call.await.unwrap().unwrap();
    })
    .await;
}

#[tokio::test]
async fn an_agent_that_never_syncs_times_out() {
    deadline(async {
        let (a, b) = UnixStream::pair().unwrap();
        let err = qga::Client::builder()
            .handshake_timeout(Duration::from_millis(100))
            .connect_stream(a)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Timeout(_)), "{err}");
        drop(b);
    })
    .await;
}

#[tokio::test]
async fn an_agent_that_goes_away() {
    deadline(async {
        let (client, mut agent) = connected().await;
        let call = tokio::spawn(client.execute(GuestInfo {}));
        let _ = agent.read().await;
        drop(agent);
        assert!(matches!(call.await.unwrap(), Err(Error::Disconnected)));
        assert!(matches!(
            client.execute(GuestPing {}).await,
            Err(Error::Disconnected)
        ));
    })
    .await;
}

#[tokio::test]
async fn a_delimited_reply_outside_a_resync() {
    deadline(async {
        let (client, mut agent) = connected().await;
        let call =
            tokio::spawn(client.execute_raw("guest-sync-delimited", Some(json!({"id": 77}))));
        let req = agent.read().await;
        let mut line = b"\xff".to_vec();
        line.extend(serde_json::to_vec(&json!({"return": 77, "id": req["id"]})).unwrap());
        line.push(b'\n');
        agent.send(&line).await;
        assert_eq!(call.await.unwrap().unwrap().get(), "77");
    })
    .await;
}
