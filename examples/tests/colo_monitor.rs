//! The `colo-monitor` example: the mock's `info_checkpoint` must average
//! exactly as the COLO fork's `fill_checkpoint_recorder` does.  The
//! expected figures are computed here from the raw sums, independently of
//! the example's code, and checked against the reply the fork recorded.

mod common;

use common::{deadline, text};
use qapi_examples::colo_monitor::{self, SEED_RUN, Totals};
use qapi_examples::qmp::{CheckpointRecorder, MigrationInfo, MigrationStatus};
use qapi_types::ErrorClass;

/// The reply the fork recorded on a primary with one vCPU and 2 GiB
/// compiling a kernel (seed 001), without its `info`.
fn recorded() -> CheckpointRecorder {
    CheckpointRecorder {
        tot_time: 4295509854,
        wait_time: 17651743242,
        init_time: 140781582,
        put_time: 26804,
        stat_time: 31396893,
        resume_time: 251641,
        load_time: 597324359,
        dev_size: 16919,
        dev_time: 595551,
        ram_size: 0,
        avg_time: 715918309,
        recv_time: 1947,
        tot_num: 6,
        ram_time: 86318844,
        info: MigrationInfo::default(),
    }
}

/// What `fill_checkpoint_recorder` makes of raw sums: `tot_time`,
/// `tot_num` and `init_time` as they are; every other figure divided by
/// `tot_num` with C's truncating division; `avg_time` = `tot_time /
/// tot_num`.
fn expected(t: &Totals, info: MigrationInfo) -> CheckpointRecorder {
    let n = t.tot_num;
    assert!(n > 0);
    let div = |x: i64| -> i64 {
        // Truncation toward zero, spelled out.
        let q = x.abs() / n;
        if x < 0 { -q } else { q }
    };
    CheckpointRecorder {
        tot_time: t.tot_time,
        tot_num: n,
        init_time: t.init_time,
        wait_time: div(t.wait_time),
        avg_time: div(t.tot_time),
        stat_time: div(t.stat_time),
        dev_time: div(t.dev_time),
        ram_time: div(t.ram_time),
        put_time: div(t.put_time),
        recv_time: div(t.recv_time),
        load_time: div(t.load_time),
        resume_time: div(t.resume_time),
        dev_size: div(t.dev_size),
        ram_size: div(t.ram_size),
        info,
    }
}

#[tokio::test]
async fn averages_match_the_recorded_reply() {
    deadline(async {
        let mut out = Vec::new();
        let report = colo_monitor::run(&mut out).await.unwrap();
        let out = text(out);

        // Independently computed from the raw sums...
        let info = colo_monitor::seed_migration_info();
        assert_eq!(report.before, expected(&SEED_RUN, info.clone()));
        // ...and equal to what the fork answered.
        let mut seed = recorded();
        seed.info = info;
        assert_eq!(report.before, seed);
        // The sums are not multiples of tot_num: truncation shows.
        assert_ne!(SEED_RUN.wait_time, report.before.wait_time * 6);
        assert_eq!(report.before.info.status, Some(MigrationStatus::Colo));
        assert_eq!(
            report.before.info.ram.as_ref().map(|r| r.transferred),
            Some(1677952185)
        );

        // After reset_checkpoint there is nothing to average: an error,
        // where the fork would divide by zero.
        assert_eq!(report.after_reset.class, ErrorClass::GenericError);
        // One more checkpoint: the figures are that checkpoint's own, and
        // init_time was cleared by the reset.
        let one = &report.one;
        assert_eq!(report.after_one.tot_num, 1);
        assert_eq!(report.after_one.tot_time, one.time);
        assert_eq!(report.after_one.avg_time, one.time);
        assert_eq!(report.after_one.wait_time, one.wait_time);
        assert_eq!(report.after_one.load_time, one.load_time);
        assert_eq!(report.after_one.dev_size, one.dev_size);
        assert_eq!(report.after_one.init_time, 0);

        // The printed table: averages in ms with units.
        for row in [
            "avg_time             |                715.918 ms | mean",
            "wait_time            |              17651.743 ms | mean",
            "tot_time             |               4295.510 ms | total",
            "dev_size             |       16 919 B (16.5 KiB) | mean",
        ] {
            assert!(out.contains(row), "{row:?} not in\n{out}");
        }
        assert!(out.contains("reset_checkpoint: {}"), "{out}");
    })
    .await;
}

#[test]
fn replayed_checkpoints_add_up_to_the_sums() {
    let checkpoints = SEED_RUN.checkpoints();
    assert_eq!(checkpoints.len(), 6);
    let sum = |f: fn(&colo_monitor::Checkpoint) -> i64| checkpoints.iter().map(f).sum::<i64>();
    assert_eq!(sum(|c| c.time), SEED_RUN.tot_time);
    assert_eq!(sum(|c| c.wait_time), SEED_RUN.wait_time);
    assert_eq!(sum(|c| c.stat_time), SEED_RUN.stat_time);
    assert_eq!(sum(|c| c.dev_time), SEED_RUN.dev_time);
    assert_eq!(sum(|c| c.ram_time), SEED_RUN.ram_time);
    assert_eq!(sum(|c| c.put_time), SEED_RUN.put_time);
    assert_eq!(sum(|c| c.recv_time), SEED_RUN.recv_time);
    assert_eq!(sum(|c| c.load_time), SEED_RUN.load_time);
    assert_eq!(sum(|c| c.resume_time), SEED_RUN.resume_time);
    assert_eq!(sum(|c| c.dev_size), SEED_RUN.dev_size);
    assert_eq!(sum(|c| c.ram_size), SEED_RUN.ram_size);
    // Checkpoints differ from one another.
    assert!(checkpoints.windows(2).any(|w| w[0].time != w[1].time));
    // Each checkpoint's phases fit in its duration.
    for c in &checkpoints {
        let phases = c.stat_time
            + c.dev_time
            + c.ram_time
            + c.put_time
            + c.recv_time
            + c.load_time
            + c.resume_time;
        assert!(phases <= c.time, "{c:?}");
    }
}

#[tokio::test]
async fn other_sums_average_the_same_way() {
    // Nine checkpoints with sums that leave every possible remainder.
    let totals = Totals {
        tot_num: 9,
        tot_time: 16_775_957_311,
        init_time: 122_877_963,
        wait_time: 164_643_410_213,
        stat_time: 914_822_324,
        dev_time: 20_406_637,
        ram_time: 7_174_297_031,
        put_time: 315_535,
        recv_time: 18_065,
        load_time: 8_651_194_579,
        resume_time: 14_892_047,
        dev_size: 450_758,
        ram_size: 7,
    };
    let info = MigrationInfo {
        status: Some(MigrationStatus::Colo),
        ..Default::default()
    };
    deadline(async {
        let report = colo_monitor::run_with(&totals, info.clone(), &mut std::io::sink())
            .await
            .unwrap();
        assert_eq!(report.before, expected(&totals, info));
        assert_eq!(report.before.avg_time, 1_863_995_256);
        assert_eq!(report.before.ram_size, 0);
    })
    .await;
}
