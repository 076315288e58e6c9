//! Age rules: the facts the user declared about themselves (birth date or age, jurisdiction)
//! and the age group the guard applies.
//!
//! The policy's age rule for the user's jurisdiction (or its default rule) sets two ages.
//! Below the minimum age only the purposes the rule keeps open run (none: the service stops
//! too). Below the age of digital consent every purpose other than the service needs a
//! guardian's consent, and advertising and profiling are refused. A user whose age was never
//! declared gets those protective defaults too, unless the policy says
//! `"unknown_age": "adult"`.

use serde::{Deserialize, Serialize};

use crate::consent::action::ConsentSource;
use crate::decision::DecisionReason;
use crate::error::{Error, Result};
use crate::policy::{PolicyInfo, UnknownAgeRule};
use crate::time::{age_on, anniversary, parse_day};

const MAX_AGE_YEARS: u8 = 150;

/// What the user (or their guardian) declares about the user. Declaring again corrects it;
/// every declaration is a ledger entry.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize, uniffi::Record)]
pub struct UserFacts {
    /// `YYYY-MM-DD`. Preferred over `age_years`: the age then follows the calendar.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub birth_date: Option<String>,
    /// The age in completed years, when the birth date is not known. It stays as declared
    /// until declared again.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub age_years: Option<u8>,
    /// ISO 3166-1 alpha-2 country, optionally with an ISO 3166-2 subdivision: `DE`, `US-CA`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub jurisdiction: Option<String>,
}

/// Birth dates and ages are personal data: Debug shows only which facts are present.
impl std::fmt::Debug for UserFacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserFacts")
            .field("birth_date", &self.birth_date.as_ref().map(|_| "<set>"))
            .field("age_years", &self.age_years.map(|_| "<set>"))
            .field("jurisdiction", &self.jurisdiction)
            .finish()
    }
}

/// Which age rules apply to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AgeGroup {
    /// At or above the age of digital consent.
    Adult,
    /// Below the age of digital consent: guardian consent, no advertising or profiling.
    Minor,
    /// Below the policy's minimum age: service-necessary processing only.
    BelowMinimumAge,
    /// No age declared.
    Unknown,
}

/// The user's age group and the thresholds behind it, for a settings screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AgeStatus {
    pub group: AgeGroup,
    /// Whether the protective defaults for minors apply (minors, and unknown ages unless the
    /// policy treats them as adults).
    pub protective_defaults: bool,
    /// The minimum age of the age rule in force.
    pub minimum_age: u8,
    /// The age of digital consent of the age rule in force: the rule for the declared
    /// jurisdiction, or the policy's default rule.
    pub digital_consent_age: u8,
    /// Who made the latest declaration; a guardian's can be changed only by a guardian.
    pub declared_by: Option<ConsentSource>,
}

/// Checks and normalizes a declaration: a real birth date not in the future, or a plausible
/// age (not both), and a well-formed jurisdiction (upper-cased).
pub(crate) fn validate(mut facts: UserFacts, today: i64) -> Result<UserFacts> {
    if facts.birth_date.is_some() && facts.age_years.is_some() {
        return Err(Error::invalid_argument(
            "age_years",
            "give birth_date or age_years, not both",
        ));
    }
    if let Some(date) = &facts.birth_date {
        let day = parse_day(date).ok_or_else(|| {
            Error::invalid_argument("birth_date", "must be a date written YYYY-MM-DD")
        })?;
        if day > today || age_on(day, today) > u32::from(MAX_AGE_YEARS) {
            return Err(Error::invalid_argument(
                "birth_date",
                "must not be in the future nor more than 150 years ago",
            ));
        }
    }
    if facts.age_years.is_some_and(|age| age > MAX_AGE_YEARS) {
        return Err(Error::invalid_argument("age_years", "must be 150 or less"));
    }
    if let Some(code) = &facts.jurisdiction {
        let code = code.trim().to_ascii_uppercase();
        let (country, subdivision) = match code.split_once('-') {
            Some((c, s)) => (c, Some(s)),
            None => (code.as_str(), None),
        };
        let well_formed = country.len() == 2
            && country.bytes().all(|b| b.is_ascii_uppercase())
            && subdivision.is_none_or(|s| {
                (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        if !well_formed {
            return Err(Error::invalid_argument(
                "jurisdiction",
                "must be an ISO 3166 code such as DE or US-CA",
            ));
        }
        facts.jurisdiction = Some(code);
    }
    Ok(facts)
}

/// The facts in force and who declared them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Declared {
    pub facts: UserFacts,
    pub source: ConsentSource,
}

/// The age rules for today, and the day they next change (a birthday crossing a threshold).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Assessment {
    pub group: AgeGroup,
    pub protective: bool,
    pub minimum_age: u8,
    pub digital_consent_age: u8,
    /// The age rule in force: its index in `age_rules`, `None` for the default rule.
    pub rule: Option<usize>,
    pub next_change_day: Option<i64>,
}

/// Which age rules apply on `today`, and why.
pub(crate) fn status(declared: Option<&Declared>, policy: &PolicyInfo, today: i64) -> AgeStatus {
    let age = assess(declared, policy, today);
    AgeStatus {
        group: age.group,
        protective_defaults: age.protective,
        minimum_age: age.minimum_age,
        digital_consent_age: age.digital_consent_age,
        declared_by: declared.map(|d| d.source),
    }
}

/// Facts a guardian declared can be changed only by a guardian.
pub(crate) fn check_may_declare(declared: Option<&Declared>, source: ConsentSource) -> Result<()> {
    let locked = declared.is_some_and(|d| d.source == ConsentSource::Guardian);
    if locked && source != ConsentSource::Guardian {
        return Err(Error::NotPermitted(DecisionReason::NeedsGuardianConsent));
    }
    Ok(())
}

pub(crate) fn assess(declared: Option<&Declared>, policy: &PolicyInfo, today: i64) -> Assessment {
    let facts = declared.map(|d| &d.facts);
    let rule = policy.age_rule_for(facts.and_then(|f| f.jurisdiction.as_deref()));
    let (minimum_age, consent_age) = (rule.minimum_age, rule.digital_consent_age);
    let birth_day = facts
        .and_then(|f| f.birth_date.as_deref())
        .and_then(parse_day);
    let age = match birth_day {
        Some(day) => Some(age_on(day, today)),
        None => facts.and_then(|f| f.age_years).map(u32::from),
    };
    let (group, threshold) = match age {
        None => (AgeGroup::Unknown, None),
        Some(age) if age < u32::from(minimum_age) => (AgeGroup::BelowMinimumAge, Some(minimum_age)),
        Some(age) if age < u32::from(consent_age) => (AgeGroup::Minor, Some(consent_age)),
        Some(_) => (AgeGroup::Adult, None),
    };
    let protective = match group {
        AgeGroup::Adult => false,
        AgeGroup::Unknown => policy.unknown_age == UnknownAgeRule::Protect,
        AgeGroup::Minor | AgeGroup::BelowMinimumAge => true,
    };
    Assessment {
        group,
        protective,
        minimum_age,
        digital_consent_age: consent_age,
        rule: policy
            .age_rules
            .iter()
            .position(|candidate| std::ptr::eq(candidate, rule)),
        next_change_day: birth_day
            .zip(threshold)
            .map(|(day, years)| anniversary(day, u32::from(years))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(minimum_age: u8, digital_consent_age: u8, unknown_age: UnknownAgeRule) -> PolicyInfo {
        let json = format!(
            r#"{{"format":1,"policy_id":"p","version":1,"effective_date":"2026-01-01",
            "controller":{{"name":"C"}},"minimum_age":{minimum_age},
            "digital_consent_age":{digital_consent_age},
            "unknown_age":"{}",
            "categories":[{{"id":"location"}}],"purposes":[{{"id":"service"}}],
            "processing":[{{"category":"location","purpose":"service","legal_basis":"contract"}}]}}"#,
            match unknown_age {
                UnknownAgeRule::Protect => "protect",
                UnknownAgeRule::Adult => "adult",
            }
        );
        crate::policy::parse_policy(&json).unwrap().info
    }

    fn born(date: &str, jurisdiction: Option<&str>) -> Declared {
        Declared {
            facts: UserFacts {
                birth_date: Some(date.into()),
                age_years: None,
                jurisdiction: jurisdiction.map(Into::into),
            },
            source: ConsentSource::User,
        }
    }

    #[test]
    fn the_jurisdiction_can_raise_but_never_lower_the_policy_age() {
        let today = parse_day("2026-11-21").unwrap();
        let p = policy(0, 13, UnknownAgeRule::Protect);
        let fourteen = "2012-01-01";
        assert_eq!(
            assess(Some(&born(fourteen, Some("US"))), &p, today).group,
            AgeGroup::Adult
        );
        assert_eq!(
            assess(Some(&born(fourteen, Some("DE"))), &p, today).group,
            AgeGroup::Minor
        );
        assert_eq!(
            assess(Some(&born(fourteen, None)), &p, today).digital_consent_age,
            16
        );
        let strict = policy(0, 18, UnknownAgeRule::Protect);
        assert_eq!(
            assess(Some(&born("2009-01-01", Some("US"))), &strict, today).group,
            AgeGroup::Minor
        );
    }

    #[test]
    fn birthdays_move_users_between_groups_on_the_right_day() {
        let p = policy(13, 16, UnknownAgeRule::Protect);
        let user = born("2010-11-22", Some("DE"));
        let today = parse_day("2026-11-21").unwrap();
        let now = assess(Some(&user), &p, today);
        assert_eq!(now.group, AgeGroup::Minor);
        assert_eq!(now.next_change_day, Some(today + 1));
        assert_eq!(assess(Some(&user), &p, today + 1).group, AgeGroup::Adult);
        let child = born("2015-01-01", None);
        let young = assess(Some(&child), &p, today);
        assert_eq!(young.group, AgeGroup::BelowMinimumAge);
        assert_eq!(young.next_change_day, parse_day("2028-01-01"));
    }

    #[test]
    fn unknown_ages_are_protected_unless_the_policy_says_otherwise() {
        let today = parse_day("2026-11-21").unwrap();
        let protect = assess(None, &policy(13, 16, UnknownAgeRule::Protect), today);
        assert_eq!(
            (protect.group, protect.protective),
            (AgeGroup::Unknown, true)
        );
        let adult = assess(None, &policy(13, 16, UnknownAgeRule::Adult), today);
        assert!(!adult.protective);
    }

    #[test]
    fn declarations_are_checked() {
        let today = parse_day("2026-11-21").unwrap();
        let bad = [
            UserFacts {
                birth_date: Some("2030-01-01".into()),
                ..Default::default()
            },
            UserFacts {
                birth_date: Some("21.11.2010".into()),
                ..Default::default()
            },
            UserFacts {
                birth_date: Some("2010-01-01".into()),
                age_years: Some(16),
                ..Default::default()
            },
            UserFacts {
                age_years: Some(200),
                ..Default::default()
            },
            UserFacts {
                jurisdiction: Some("Germany".into()),
                ..Default::default()
            },
            UserFacts {
                jurisdiction: Some("D1".into()),
                ..Default::default()
            },
        ];
        for facts in bad {
            assert!(matches!(
                validate(facts, today),
                Err(Error::InvalidArgument { .. })
            ));
        }
        let ok = validate(
            UserFacts {
                jurisdiction: Some(" us-ca ".into()),
                ..Default::default()
            },
            today,
        )
        .unwrap();
        assert_eq!(ok.jurisdiction.as_deref(), Some("US-CA"));
        let p = policy(0, 13, UnknownAgeRule::Protect);
        assert_eq!(p.age_rule_for(Some("US-CA")).digital_consent_age, 13);
    }

    #[test]
    fn debug_output_hides_the_birth_date() {
        let facts = born("2010-11-22", Some("DE")).facts;
        let shown = format!("{facts:?}");
        assert!(!shown.contains("2010"), "{shown}");
    }
}
