//! Fifty desks at once, each a real small registry, push and pull a thousand ops each against two server
//! processes on one database: every op is on the server once, and the two desks of each office end with
//! the same synced data whichever process each spoke to.

mod common;

use common::{assert_same, Central, Desk, Server};

const OFFICES: usize = 25;
const OPS: usize = 1_000;

fn people(prefix: &str) -> String {
    let mut csv = String::from("external_id,given_name,family_name,sex,birth_date,area\n");
    for i in 0..OPS {
        csv.push_str(&format!("{prefix}{i},Given{i},Family,female,1950-01-0{},D01\n", 1 + i % 9));
    }
    csv
}

#[test]
fn fifty_desks_on_two_server_processes_converge_with_every_op_once() {
    let codes: Vec<String> = (0..OFFICES).map(|n| format!("D{n:02}")).collect();
    let mut offices: Vec<(&str, bool)> = codes.iter().map(|c| (c.as_str(), false)).collect();
    offices.push(("HQ", true));
    let central = Central::new(&offices);
    let servers = [Server::start(&central.pg.url), Server::start(&central.pg.url)];
    let desks: Vec<(Desk, usize)> = (0..OFFICES * 2)
        .map(|n| {
            let office = &codes[n / 2];
            let desk = Desk::new(office);
            let server = n % 2;
            desk.enrol(&servers[server].url, &central.code(office)).unwrap();
            desk.import(&people(&format!("{office}-{n}-")));
            (desk, server)
        })
        .collect();

    // All at once: push, then pull the other desk's thousand; once more for what the other pushed late.
    for _ in 0..2 {
        std::thread::scope(|s| {
            for (desk, _) in &desks {
                s.spawn(move || desk.sync());
            }
        });
    }

    let written: i64 = desks.iter().map(|(d, _)| d.count("SELECT count(*) FROM outbox WHERE format > 0")).sum();
    assert_eq!(written, (OFFICES * 2 * OPS) as i64);
    assert_eq!(central.count("SELECT count(*) FROM ops"), written, "every op is on the server once");
    assert_eq!(central.count("SELECT count(DISTINCT (device, seq)) FROM ops"), written);
    for pair in desks.chunks(2) {
        let ((a, sa), (b, sb)) = (&pair[0], &pair[1]);
        assert_ne!(sa, sb, "the two desks of an office spoke to different processes");
        assert_eq!(a.count("SELECT count(*) FROM registrants"), (2 * OPS) as i64);
        assert_eq!(a.count("SELECT count(*) FROM applied_ops"), OPS as i64, "the other desk's ops, each once");
        assert_same(a, b, "two desks of one office");
    }
}
