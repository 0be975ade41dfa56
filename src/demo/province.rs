//! The registry of one real province for the demo: its communes from `data/`, the usual departments,
//! the sample procedure catalogue and targets for this year and the last.

use crate::domain::{Indicator, Procedure, Ratio, Target, TargetScope, Unit, UnitKind};
use crate::registry::names;
use anyhow::{anyhow, Context};

const UNITS: &str = include_str!("../../data/units-vn-2025.csv");
const DEPARTMENTS: &str = include_str!("../../data/departments.csv");
const PROCEDURES: &str = include_str!("../../data/procedures-sample.csv");

/// A procedure of the sample catalogue and who handles it: a department suffix, or `commune`.
#[derive(Debug, Clone)]
pub struct SampleProcedure {
    pub procedure: Procedure,
    pub handled_by: String,
}

#[derive(Debug)]
pub struct DemoProvince {
    pub province: Unit,
    pub units: Vec<Unit>,
    pub procedures: Vec<SampleProcedure>,
    pub targets: Vec<Target>,
}

/// Every unit of the shipped list (nation, 34 provinces, 3,321 communes).
pub fn all_units() -> anyhow::Result<Vec<Unit>> {
    crate::registry::import::units("data/units-vn-2025.csv", UNITS.as_bytes(), &[]).map(|f| f.units).context("shipped unit list")
}

pub fn sample_procedures() -> anyhow::Result<Vec<SampleProcedure>> {
    let mut reader = csv::Reader::from_reader(PROCEDURES.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r?;
            Ok(SampleProcedure {
                procedure: Procedure {
                    code: r[0].into(),
                    name: r[1].into(),
                    level: r[2].parse().map_err(|e: String| anyhow!(e))?,
                    paper_result: crate::registry::import::paper_result(&r[4]).map_err(|e| anyhow!(e))?,
                },
                handled_by: r[3].into(),
            })
        })
        .collect()
}

/// Department suffixes and names without their province (`STP`, `Sở Tư pháp`).
pub fn departments() -> anyhow::Result<Vec<(String, String)>> {
    let mut reader = csv::Reader::from_reader(DEPARTMENTS.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r?;
            Ok((r[0].to_string(), r[1].to_string()))
        })
        .collect()
}

/// The whole nation for benchmarks: every province with its communes and departments, and the targets.
pub fn nation(year: i32) -> anyhow::Result<(Vec<Unit>, Vec<SampleProcedure>, Vec<Target>)> {
    let mut units = Vec::new();
    let mut targets = Vec::new();
    for p in all_units()?.iter().filter(|u| u.kind == UnitKind::Province) {
        let d = build(&p.code, year)?;
        units.extend(d.units.into_iter().filter(|u| u.kind != UnitKind::Nation && (u.kind != UnitKind::Province || u.code == p.code)));
        targets.extend(d.targets.into_iter().filter(|t| matches!(t.scope, TargetScope::Unit(_))));
        if targets.iter().all(|t| !matches!(t.scope, TargetScope::Kind(_))) {
            targets.extend(self::targets(&d.province, &[], year).into_iter().filter(|t| matches!(t.scope, TargetScope::Kind(_))));
        }
    }
    units.extend(all_units()?.into_iter().filter(|u| u.kind == UnitKind::Nation));
    Ok((units, sample_procedures()?, targets))
}

pub fn build(province_code: &str, year: i32) -> anyhow::Result<DemoProvince> {
    let all = all_units()?;
    let province = all
        .iter()
        .find(|u| u.kind == UnitKind::Province && u.code == province_code)
        .cloned()
        .ok_or_else(|| {
            let codes: Vec<String> = all.iter().filter(|u| u.kind == UnitKind::Province).map(|u| format!("{} {}", u.code, u.name)).collect();
            anyhow!("unknown province {province_code:?}; choose one of: {}", codes.join(", "))
        })?;
    let mut units: Vec<Unit> = all
        .iter()
        .filter(|u| u.kind == UnitKind::Nation || u.code == province.code || u.parent.as_deref() == Some(&province.code))
        .cloned()
        .collect();
    for (suffix, name) in departments()? {
        let name = names::department(&name, &province.name);
        units.push(Unit { code: format!("{}-{suffix}", province.code), name, kind: UnitKind::Department, parent: Some(province.code.clone()) });
    }
    // One convention of tone marks in every name the demo shows, the official list's.
    for u in &mut units {
        u.name = names::official_tone_marks(&u.name);
    }
    let targets = targets(&province, &units, year);
    Ok(DemoProvince { province, units, procedures: sample_procedures()?, targets })
}

/// This year's plan for the other indicators, the same for every kind of unit: set near the middle of
/// what the simulated units reach, so that some meet it and some are warned.
const OTHER_TARGETS: [(Indicator, &str); 8] = [
    (Indicator::Intake, "0.9"),
    (Indicator::OnTime, "0.75"),
    (Indicator::OnlineSubmission, "0.8"),
    (Indicator::OnlinePayment, "0.95"),
    (Indicator::ElectronicResult, "0.7"),
    (Indicator::Digitised, "0.35"),
    (Indicator::ReusedData, "0.7"),
    (Indicator::OnTimeIndex, "0.82"),
];

/// Kind defaults for last year and this year, and a few per-unit overrides (a lower year target for a
/// struggling commune, a stricter month for one department) so that every kind of target shows; the
/// other indicators get this year's plan, so their pages judge units too.
fn targets(province: &Unit, units: &[Unit], year: i32) -> Vec<Target> {
    let target = |indicator: Indicator, scope: TargetScope, year: i32, month: Option<u32>, v: &str, source: &str| Target {
        scope,
        year,
        month,
        indicator,
        value: v.parse::<Ratio>().expect("valid ratio"),
        source: source.to_string(),
    };
    let t = |scope, year, month, v: &str, source: &str| target(Indicator::Completion, scope, year, month, v, source);
    let plan = "kế hoạch mẫu (demo)";
    let mut out = vec![
        t(TargetScope::Kind(UnitKind::Department), year - 1, None, "0.75", plan),
        t(TargetScope::Kind(UnitKind::Commune), year - 1, None, "0.6", plan),
        t(TargetScope::Kind(UnitKind::Department), year, None, "0.85", plan),
        t(TargetScope::Kind(UnitKind::Commune), year, None, "0.75", plan),
        t(TargetScope::Kind(UnitKind::Province), year, None, "0.8", plan),
    ];
    let override_note = "điều chỉnh riêng (demo)";
    if let Some(c) = units.iter().filter(|u| u.kind == UnitKind::Commune).nth(3) {
        out.push(t(TargetScope::Unit(c.code.clone()), year, None, "0.65", override_note));
    }
    out.push(t(TargetScope::Unit(format!("{}-STP", province.code)), year, Some(12), "0.95", override_note));
    out.push(t(TargetScope::Unit(format!("{}-SYT", province.code)), year, None, "0.8", override_note));
    for (indicator, value) in OTHER_TARGETS {
        for kind in [UnitKind::Department, UnitKind::Commune, UnitKind::Province] {
            out.push(target(indicator, TargetScope::Kind(kind), year, None, value, plan));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_units_are_the_2025_map() {
        let all = all_units().unwrap();
        assert_eq!(all.iter().filter(|u| u.kind == UnitKind::Province).count(), 34);
        assert_eq!(all.iter().filter(|u| u.kind == UnitKind::Commune).count(), 3321);
        assert_eq!(all.iter().filter(|u| u.parent.as_deref() == Some("31")).count(), 114);
    }

    #[test]
    fn hai_phong_with_departments_and_targets() {
        let p = build("31", 2026).unwrap();
        assert_eq!(p.province.name, "Thành phố Hải Phòng");
        assert_eq!(p.units.iter().filter(|u| u.kind == UnitKind::Commune).count(), 114);
        assert!(p.units.iter().any(|u| u.code == "31-STP" && u.name == "Sở Tư pháp thành phố Hải Phòng"));
        assert!(p.targets.iter().any(|t| t.year == 2025) && p.targets.iter().any(|t| t.month == Some(12)));
        for indicator in Indicator::ALL {
            assert!(p.targets.iter().any(|t| t.indicator == indicator && t.year == 2026), "{indicator:?} has a plan");
        }
        assert!(p.procedures.iter().any(|s| s.handled_by == "commune"));
        assert!(build("99", 2026).unwrap_err().to_string().contains("31 Thành phố Hải Phòng"));
    }

    /// Word-final "oa", "oe", "uy" pairs of `text` with the tone on the first vowel, and on the second.
    fn tone_styles(text: &str) -> (usize, usize) {
        let words: Vec<String> = text.split(|c: char| !c.is_alphabetic()).map(str::to_lowercase).collect();
        let ends = |w: &String, ends: &[&str]| ends.iter().any(|e| w.ends_with(e) && !w.ends_with(&format!("q{e}")));
        let first = ["òa", "óa", "ỏa", "õa", "ọa", "òe", "óe", "ỏe", "õe", "ọe", "ùy", "úy", "ủy", "ũy", "ụy"];
        let second = ["oà", "oá", "oả", "oã", "oạ", "oè", "oé", "oẻ", "oẽ", "oẹ", "uỳ", "uý", "uỷ", "uỹ", "uỵ"];
        (words.iter().filter(|w| ends(w, &first)).count(), words.iter().filter(|w| ends(w, &second)).count())
    }

    /// Departments of the six centrally-run cities are the city's ("thành phố"), the others the province's
    /// ("tỉnh"); every generated name places tone marks as the official list mostly does ("Hòa", "Thủy").
    #[test]
    fn department_names_and_tone_marks() {
        let (first, second) = tone_styles(UNITS);
        assert!(first > 5 * second, "the official list mostly marks the first vowel: {first} against {second}");
        let cities = ["01", "31", "46", "48", "79", "92"];
        for p in all_units().unwrap().iter().filter(|u| u.kind == UnitKind::Province) {
            let d = build(&p.code, 2026).unwrap();
            let (word, not) = if cities.contains(&p.code.as_str()) { ("thành phố", "tỉnh") } else { ("tỉnh", "thành phố") };
            let departments: Vec<&Unit> = d.units.iter().filter(|u| u.kind == UnitKind::Department).collect();
            assert_eq!(departments.len(), 15);
            for u in departments {
                assert!(u.name.contains(&format!(" {word} ")) && !u.name.contains(not), "{}", u.name);
            }
            for u in &d.units {
                assert_eq!(tone_styles(&u.name).1, 0, "{}", u.name);
            }
        }
        let name = |p: &str, code: &str| build(p, 2026).unwrap().units.into_iter().find(|u| u.code == code).unwrap().name;
        assert_eq!(name("31", "31-CA"), "Công an thành phố Hải Phòng");
        assert_eq!(name("31", "31-SVHTTDL"), "Sở Văn hóa, Thể thao và Du lịch thành phố Hải Phòng");
        assert_eq!(name("79", "79-VP"), "Văn phòng Ủy ban nhân dân thành phố Hồ Chí Minh");
        assert_eq!(name("40", "40-TTR"), "Thanh tra tỉnh Nghệ An");
        assert!(build("08", 2026).unwrap().units.iter().any(|u| u.name == "Xã Chiêm Hóa"), "the list's \"Xã Chiêm Hoá\"");
    }
}
