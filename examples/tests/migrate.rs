//! The `migrate` example: a real live migration between two QEMU
//! processes.

mod common;

use common::{deadline, qemu_system, text};
use qapi_examples::migrate::{self, Side};
use qapi_examples::qmp::{Event, MigrationStatus, RunState};

#[tokio::test]
async fn migration_completes() {
    let Some(bin) = qemu_system() else { return };
    deadline(async {
        let options = migrate::Options::new(bin);
        let mut out = Vec::new();
        let report = migrate::run(&options, &mut out).await.unwrap();
        let out = text(out);

        // The source's final figures.
        assert_eq!(report.info.status, Some(MigrationStatus::Completed));
        let ram = report.info.ram.as_ref().expect("ram figures");
        assert!(ram.transferred > 0, "{ram:?}");
        assert_eq!(ram.remaining, 0);
        // All of the 64 MiB guest, plus ROM and video RAM.
        assert!(ram.total >= 64 << 20, "{ram:?}");
        // Every page went as a zero-page marker or in full.
        assert!(ram.duplicate + ram.normal > 0);
        assert_eq!(ram.normal_bytes, ram.normal * ram.page_size);
        assert!(report.info.total_time.is_some());
        assert!(report.info.downtime.is_some());

        // The events, as followed from the event streams.
        let source = report.statuses(Side::Source);
        assert!(
            !source.is_empty(),
            "no MIGRATION event: {:?}",
            report.events
        );
        assert_eq!(source.last(), Some(&MigrationStatus::Completed));
        assert!(source.contains(&MigrationStatus::Active), "{source:?}");
        let destination = report.statuses(Side::Destination);
        assert_eq!(destination.last(), Some(&MigrationStatus::Completed));
        let passes = report.passes();
        assert!(!passes.is_empty(), "no MIGRATION_PASS event");
        assert!(passes.windows(2).all(|w| w[0] < w[1]), "{passes:?}");
        assert_eq!(passes[0], 1);
        assert!(
            report
                .events
                .iter()
                .all(|(_, m)| matches!(m.event, Event::Migration(_) | Event::MigrationPass(_)))
        );

        // Afterwards: the source is stopped for good; the destination is
        // not started, because the source was not running (-S): QEMU 7.2
        // leaves it in the source's state, prelaunch.
        assert_eq!(report.source_status.status, RunState::Postmigrate);
        assert!(!report.destination_status.running);

        // What was printed.
        assert!(
            out.contains("source       MIGRATION       status completed"),
            "{out}"
        );
        assert!(out.contains("source       MIGRATION_PASS  pass 1"), "{out}");
        let line = out
            .lines()
            .find(|l| l.starts_with("ram transferred "))
            .expect("a ram transferred row");
        assert!(
            line.ends_with(&qapi_examples::table::bytes(ram.transferred.into())),
            "{line}"
        );
    })
    .await;
}
