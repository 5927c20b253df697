use super::*;
use time::macros::date;

fn check(src: &str) -> Result<CompiledRule, RuleError> {
    compile(src, RuleKind::Condition, RegistrantKind::Individual, &["income".to_string()])
}

fn person(birth: &str, sex: &str) -> Subject {
    Subject {
        me: Facts {
            reference: "T-1".into(),
            kind: "individual".into(),
            sex: Some(sex.into()),
            birth_date: Some(birth.into()),
            status: "active".into(),
            area: Some("D01".into()),
            ..Facts::default()
        },
        ..Subject::default()
    }
}

#[test]
fn age_agrees_with_the_sql_bound_on_every_day_of_four_years() {
    let today = date!(2024 - 02 - 29);
    for n in [0u32, 1, 5, 60] {
        let bound = crate::clock::years_before(today, n);
        let mut d = date!(1950 - 01 - 01);
        while d < date!(2024 - 12 - 31) {
            if d.year() >= today.year() - n as i32 - 2 && d.year() <= today.year() - n as i32 + 2 {
                assert_eq!(age_on(d, today) >= n as i64, d <= bound, "birth {d}, n {n}");
            }
            d = d.next_day().unwrap();
        }
    }
}

#[test]
fn syntax_errors_name_the_position() {
    let e = check("age(me.birth_date) >= 60 &&").unwrap_err();
    assert!(e.message.starts_with("syntax error"), "{e}");
    assert!(e.start.is_some());
}

#[test]
fn unknown_fields_list_the_ones_that_exist() {
    let e = check("me.sex == 'female' && me.birthdate < '2000-01-01'").unwrap_err();
    assert_eq!(e.message, "unknown field 'birthdate' of me");
    assert_eq!(e.start, Some(22));
    assert!(e.known.contains(&"birth_date".to_string()));
    let e = check("members.exists(m, m.relation == 'child')").unwrap_err();
    assert!(e.known.contains(&"relationship".to_string()), "{e}");
    let e = check("me.custom.incom > 3").unwrap_err();
    assert_eq!(e.known, vec!["income".to_string()]);
    let e = check("you.age > 3").unwrap_err();
    assert!(e.message.contains("unknown name 'you'"));
    let e = check("agee(me.birth_date) > 3").unwrap_err();
    assert!(e.message.contains("unknown function 'agee'"), "{e}");
}

#[test]
fn type_errors_name_the_position() {
    let e = check("me.sex == 'female' && me.age >= '60'").unwrap_err();
    assert!(e.message.starts_with("type error"), "{e}");
    assert_eq!(e.start, Some(22));
    assert!(check("me.age + 1").unwrap_err().message.contains("must be true or false"));
    assert!(compile("me.sex", RuleKind::Score, RegistrantKind::Individual, &[]).is_err());
}

#[test]
fn rules_evaluate_against_the_documented_context() {
    let rule = check("age(me.birth_date) >= 60 && me.sex == 'female'").unwrap();
    let ev = Evaluator::new(&rule);
    assert_eq!(ev.verdict(&person("1950-01-01", "female")), Verdict::Match);
    assert_eq!(ev.verdict(&person("1990-01-01", "female")), Verdict::NoMatch);
    let mut no_birth = person("1950-01-01", "female");
    no_birth.me.birth_date = None;
    assert!(matches!(ev.verdict(&no_birth), Verdict::Error(m) if m.contains("no birth date")));

    let rule = check("members.exists(m, m.age < 5) && !('DIS' in programs) && household.size >= 3").unwrap();
    let ev = Evaluator::new(&rule);
    let mut s = person("1980-01-01", "male");
    s.household = Some(Facts { size: Some(3), ..Facts::default() });
    s.members = vec![person("2024-06-01", "female").me, person("1980-01-01", "male").me];
    assert_eq!(ev.verdict(&s), Verdict::Match);
    s.programs = vec!["DIS".into()];
    assert_eq!(ev.verdict(&s), Verdict::NoMatch);
}

#[test]
fn a_score_is_a_number() {
    let rule =
        compile("double(me.size) * 2.5 + (me.has_phone ? 0.0 : 10.0)", RuleKind::Score, RegistrantKind::Group, &[])
            .unwrap();
    let mut s = person("1980-01-01", "male");
    s.me.size = Some(4);
    assert_eq!(Evaluator::new(&rule).score(&s), Ok(20.0));
}

/// The same rule evaluated over fields made as they are read and over a map of them made beforehand.
fn both_ways(src: &str, s: &Subject) -> (Verdict, Verdict) {
    let lazy = check(src).unwrap();
    assert!(!lazy.needs.whole_maps, "{src} reads only fields");
    let mut maps = check(src).unwrap();
    maps.needs.whole_maps = true;
    (Evaluator::new(&lazy).verdict(s), Evaluator::new(&maps).verdict(s))
}

#[test]
fn fields_made_as_read_give_what_a_map_of_them_gives() {
    let mut full = person("1950-03-01", "female");
    full.me.given_name = Some("Amina".into());
    full.me.tags = vec!["urgent".into()];
    full.me.id_types = vec!["national_id".into()];
    full.me.has_phone = true;
    full.me.birth_date_approx = true;
    full.me.registered_on = "2019-05-01".into();
    full.me.custom = Some(serde_json::json!({ "income": 50 }));
    full.household = Some(Facts { size: Some(3), area: Some("D01".into()), ..Facts::default() });
    let mut child = person("2024-06-01", "male").me;
    child.relationship = Some("child".into());
    full.members = vec![child, Facts { is_head: true, ..person("1980-01-01", "male").me }];
    full.programs = vec!["DIS".into()];
    let mut bare = person("1990-01-01", "male");
    bare.me.birth_date = None;
    bare.me.area = None;
    let rules = [
        "me.sex == 'female' && me.age >= 60",
        "me.kind == 'individual' && me.status == 'active' && me.reference.startsWith('T-')",
        "has(me.area) && me.area in ['D01', 'D02']",
        "'national_id' in me.id_types && me.has_phone",
        "size(me.tags) == 0 || 'urgent' in me.tags",
        "me.birth_date_approx || me.registered_on < '2020-01-01'",
        "me.custom.income < 100",
        "me.given_name.startsWith('A')",
        "age(me.birth_date) > 10",
        "members.exists(m, m.age < 5 && !m.is_head) && household.size >= 3",
        "members.all(m, m.relationship != 'child' || m.age < 18)",
        "members.exists_one(m, m.sex == 'male')",
        "household.area == me.area",
        "'DIS' in programs",
    ];
    for src in rules {
        for s in [&full, &bare] {
            let (lazy, maps) = both_ways(src, s);
            assert_eq!(lazy, maps, "{src} for {}", s.me.reference);
        }
    }
    assert!(matches!(both_ways("me.age >= 60", &bare).0, Verdict::Error(_)), "a missing birth date is an error");
    let age = age_on(date!(1950 - 03 - 01), crate::clock::today());
    let exact = format!("me.age == {age} && me.custom.income == 50 && me.given_name == 'Amina' && household.size == 3");
    assert_eq!(both_ways(&exact, &full), (Verdict::Match, Verdict::Match));
    let whole = check("size(members.filter(m, m.sex == 'female')) == 0").unwrap();
    assert!(whole.needs.whole_maps, "the filter macro collects the member itself");
    assert_eq!(Evaluator::new(&whole).verdict(&full), Verdict::Match);
    let mut with_a_woman = bare.clone();
    with_a_woman.members = vec![person("1990-01-01", "female").me];
    assert_eq!(Evaluator::new(&whole).verdict(&with_a_woman), Verdict::NoMatch);
    assert!(check("household != null").unwrap().needs.whole_maps);
    assert!(check("members.exists(m, m != null)").unwrap().needs.whole_maps);
}

#[test]
fn a_refused_rule_says_what_was_most_likely_meant() {
    let hint = |src: &str| check(src).unwrap_err().hint.unwrap_or_default();
    assert!(hint("me.sex = \"female\"").contains("write `==`"), "{}", hint("me.sex = \"female\""));
    assert!(hint("me.age >= 60 and me.sex == \"female\"").contains("&&"));
    assert_eq!(hint("sex == \"female\""), "a person's fields are read through me: write me.sex.");
    assert_eq!(hint("me.sex == female"), "text is written in quotes: \"female\".");
    // `=` inside a text or as part of `>=`, `<=`, `!=` is not the mistake.
    assert_eq!(hint("me.age >= 60 && me.sex != female"), "text is written in quotes: \"female\".");
    assert!(check("me.age >= 60 && me.area != \"a=b\"").is_ok());
}

#[test]
fn an_accepted_rule_is_warned_of_a_value_that_is_none_of_its_fields_codes() {
    let codes = |list: &str| match list {
        "sex" => Some(vec!["female".to_string(), "male".to_string()]),
        "tag" => Some(vec!["disability".to_string()]),
        _ => None,
    };
    let warnings = |src: &str| hints::for_values(&check(src).unwrap(), &codes);
    assert_eq!(
        warnings("me.sex == \"Female\""),
        ["\"Female\" is not a sex code, so it selects nobody; the codes are: female, male"]
    );
    assert_eq!(warnings("me.sex in [\"female\", \"F\"]").len(), 1);
    assert_eq!(warnings("\"disabled\" in me.tags").len(), 1);
    assert!(warnings("me.sex == \"female\" && \"disability\" in me.tags && me.area == \"anything\"").is_empty());
    assert!(warnings("members.exists(m, m.sex == \"female\")").is_empty());
    assert_eq!(warnings("members.exists(m, m.sex == \"woman\")").len(), 1);
}
