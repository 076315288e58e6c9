//! The five example policies in `examples/policies/`, each following a real-world service's
//! privacy policy (Promophone, PROMT, a voice-call service, CallsApp, MamontCall), driven
//! through the public API: each assertion is a concrete guard decision that follows from a
//! sentence of that service's policy, quoted verbatim above it. Also keeps the example files
//! and the JSON Schema in step with the parser.

use std::collections::BTreeSet;
use std::sync::Arc;

use privacykit::{
    AgeGroup, ConsentSource, Decision, DecisionReason, DecisionReason::*, LegalBasis,
    LocationAccuracy, OsPermission, PermissionStatus, Platform, PrivacyKit, PrivacyKitConfig,
    RetentionEvent, UserFacts,
};

const PROMOPHONE: &str = include_str!("../examples/policies/promophone.json");
const PROMT: &str = include_str!("../examples/policies/promt.json");
const VOICECALL: &str = include_str!("../examples/policies/voicecall.json");
const CALLSAPP: &str = include_str!("../examples/policies/callsapp.json");
const MAMONTCALL: &str = include_str!("../examples/policies/mamontcall.json");
const SCHEMA: &str = include_str!("../src/policy/policy.schema.json");

/// A fresh in-memory kit whose user declared an adult age, as these apps ask at sign-up
/// (until then the protective defaults for minors apply; see the age tests below).
fn open(policy: &str, platform: Platform) -> Arc<PrivacyKit> {
    let kit = open_undeclared(policy, platform);
    declare(&kit, "1990-04-12", ConsentSource::User);
    kit
}

fn open_undeclared(policy: &str, platform: Platform) -> Arc<PrivacyKit> {
    PrivacyKit::open(PrivacyKitConfig {
        database_path: None,
        policy_json: policy.to_owned(),
        platform,
        utc_offset_minutes: 0,
        key_provider: None,
    })
    .expect("the example policy opens")
}

fn declare(kit: &PrivacyKit, birth_date: &str, source: ConsentSource) {
    kit.declare_user_facts(
        UserFacts {
            birth_date: Some(birth_date.into()),
            age_years: None,
            jurisdiction: None,
        },
        source,
    )
    .unwrap();
}

/// A fresh in-memory kit whose user accepted the policy.
fn accepted(policy: &str, platform: Platform) -> Arc<PrivacyKit> {
    let kit = open(policy, platform);
    kit.accept_policy().unwrap();
    kit
}

fn allowed(basis: LegalBasis) -> Decision {
    Decision {
        allowed: true,
        reason: Permitted { basis },
    }
}

fn denied(reason: DecisionReason) -> Decision {
    Decision {
        allowed: false,
        reason,
    }
}

fn os(kit: &PrivacyKit, permission: OsPermission, status: PermissionStatus) {
    kit.report_permission(permission, status, None, None)
        .unwrap();
}

fn location(kit: &PrivacyKit, accuracy: LocationAccuracy) {
    kit.report_permission(
        OsPermission::Location,
        PermissionStatus::Granted,
        Some(accuracy),
        None,
    )
    .unwrap();
}

fn grant(kit: &PrivacyKit, purpose: &str, category: &str) {
    kit.grant_consent(purpose.into(), Some(category.into()))
        .unwrap();
}

#[test]
fn promophone() {
    // An Android app: a denied permission can still be requested, so it reads
    // OsPermissionDenied (on iOS a denial is BlockedInSettings).
    let kit = open(PROMOPHONE, Platform::Android);
    os(&kit, OsPermission::Contacts, PermissionStatus::Granted);
    // Promophone: "When installing and using the Promophone mobile application, you agree to
    // authorise Promophone to obtain and use the following information: ... Information from
    // the address book on your mobile device."
    assert_eq!(kit.check("contacts", "service"), denied(PolicyNotAccepted));

    kit.accept_policy().unwrap();
    // Promophone: "Information from the address book on your mobile device." for the goal "Offer
    // products for securing voice communication with telephone-network users"
    assert_eq!(
        kit.check("contacts", "service"),
        allowed(LegalBasis::Contract)
    );

    os(&kit, OsPermission::Contacts, PermissionStatus::Denied);
    // Promophone: "Information from the address book on your mobile device." (read from the device,
    // so the OS grant is needed even on basis contract)
    assert_eq!(
        kit.check("contacts", "service"),
        denied(OsPermissionDenied {
            permission: OsPermission::Contacts
        })
    );

    // Promophone: "Access tokens for other accounts, which are linked with your Promophone account
    // (for example, your accounts in the Social Network), such as electronic keys provided by
    // the service used for user identification instead of entering a password."
    assert_eq!(
        kit.check("social_accounts", "service"),
        allowed(LegalBasis::Contract)
    );

    location(&kit, LocationAccuracy::Approximate);
    // Promophone: "Promophone and our Partners in advertising distribution may use some information
    // ... such as your age, sex, language, country and city of residence, as well as
    // information on the countries you call in order to forward you the advertisements that
    // can be of most interest to you"
    assert_eq!(kit.check("location", "advertising"), denied(NeedsConsent));
    grant(&kit, "advertising", "location");
    // Promophone: same sentence; the entry is declared `approximate`, so city-level location is enough.
    assert_eq!(
        kit.check("location", "advertising"),
        allowed(LegalBasis::Consent)
    );

    kit.grant_consent("advertising".into(), None).unwrap();
    // Promophone: "Promophone undertakes not to sell, provide for use, exchange or otherwise transfer
    // your personal data ... without your direct approval" and the advertising list above has
    // no address book: not declared, whatever the consent.
    assert_eq!(
        kit.check("contacts", "advertising"),
        denied(NotDeclaredInPolicy)
    );

    let kit = open(PROMOPHONE, Platform::Android);
    kit.restrict_processing().unwrap();
    // Promophone: "Promophone, its local partner, communication operator or another company which
    // provides communication, may present your personal data, data of your calls to authorised
    // judiciary, law enforcement or public authorities, having received legally justified
    // inquiries from them."
    assert_eq!(
        kit.check("call_history", "legal_compliance"),
        allowed(LegalBasis::LegalObligation)
    );
    // Promophone: "We may read, disclose and keep personal data, including your confidential content
    // (for instance, a history of your calls), in good faith in the belief that it is required
    // in order to: ... to prevent death or serious injuries"
    assert_eq!(
        kit.check("call_history", "user_safety"),
        allowed(LegalBasis::VitalInterest)
    );
}

#[test]
fn promt() {
    // A Windows product; it declares no OS-permission category, so the platform is moot.
    let kit = accepted(PROMT, Platform::Android);
    // PROMT: "After registration we will send to the address that you have specified an e-mail
    // asking to confirm your consent to receive our mailing."
    assert_eq!(
        kit.check("newsletter_subscription", "marketing"),
        denied(NeedsConsent)
    );
    grant(&kit, "marketing", "newsletter_subscription");
    assert_eq!(
        kit.check("newsletter_subscription", "marketing"),
        allowed(LegalBasis::Consent)
    );
    kit.withdraw_consent("marketing".into(), Some("newsletter_subscription".into()))
        .unwrap();
    // PROMT: "At any time you may opt-out of the email subscription." and "If you have given
    // your consent to process your data, you may withdraw it at any time."
    assert_eq!(
        kit.check("newsletter_subscription", "marketing"),
        denied(ConsentWithdrawn)
    );

    kit.deny_consent("fraud_prevention".into(), Some("license_activation".into()))
        .unwrap();
    // PROMT: "In PROMT products version 19 we ask for your consent to collect data while
    // installing a PROMT product." and "If you do not wish to provide your data to us you may
    // activate the PROMT product manually and not fill the data requirement form."
    assert_eq!(
        kit.check("license_activation", "fraud_prevention"),
        denied(ConsentDenied)
    );

    // PROMT: "We also store requests received via the website to collect statistics on
    // malfunction of our products in order to develop and improve"
    assert_eq!(
        kit.check("support_requests", "analytics"),
        allowed(LegalBasis::LegitimateInterest)
    );
    kit.object_to("analytics".into(), None).unwrap();
    // PROMT: "You may take exception against processing of your personal data for advertizing
    // and/or analysis of data at any time without giving any reason."
    assert_eq!(
        kit.check("support_requests", "analytics"),
        denied(ObjectedByUser)
    );

    let kit = accepted(PROMT, Platform::Android);
    kit.object_to("analytics".into(), Some("site_usage".into()))
        .unwrap();
    // PROMT: "Session cookies ... are used for maintaining our site functionalities and analysis
    // of your working with the site" and "You may take exception against processing of your
    // personal data for advertizing and/or analysis of data at any time without giving any
    // reason."
    assert_eq!(kit.check("site_usage", "analytics"), denied(ObjectedByUser));
    // PROMT: same sentences: the objection covers the analysis, not the site's functions.
    assert_eq!(
        kit.check("site_usage", "service"),
        allowed(LegalBasis::LegitimateInterest)
    );

    let kit = accepted(PROMT, Platform::Android);
    kit.restrict_processing().unwrap();
    // PROMT: "Right to restriction of processing: you may request to restrict processing of your
    // personal data in our storage." and "If the law obliges to store data, we will restrict
    // any processing of your data."
    assert_eq!(
        kit.check("support_requests", "legal_compliance"),
        allowed(LegalBasis::LegalObligation)
    );
    // PROMT: "Our legitimate interest in collection of this data is conditioned by the purposes
    // of data collection stated above." (legitimate interest is what a restriction stops)
    assert_eq!(
        kit.check("device_info", "service"),
        denied(RestrictedByUser)
    );

    let kit = accepted(PROMT, Platform::Android);
    kit.grant_consent("marketing".into(), None).unwrap();
    // PROMT: "we use the user name, your first name and surname, e-mail to render personalized
    // technical support, and if the password is given, you may access MyPromt." and for the
    // newsletter address "Your address will be used only for this purpose."
    assert_eq!(
        kit.check("account_details", "marketing"),
        denied(NotDeclaredInPolicy)
    );
}

#[test]
fn voicecall() {
    let kit = open(VOICECALL, Platform::Android);
    // The voice-call service: "Continued use of the Service after the entry into force of the updated version of
    // the Privacy Policy shall be deemed confirmation of the User’s familiarization with such
    // changes and their acceptance" (PrivacyKit asks for explicit acceptance instead)
    assert_eq!(
        kit.check("account_details", "service"),
        denied(PolicyNotAccepted)
    );

    kit.accept_policy().unwrap();
    // The voice-call service: "access tokens and technical keys (in encrypted or restricted form);" and
    // "processing is carried out on the basis of the execution of the contract"
    assert_eq!(
        kit.check("social_accounts", "service"),
        allowed(LegalBasis::Contract)
    );

    // The voice-call service: "Where required by applicable law, non-essential cookies are used solely on the
    // basis of user consent."
    assert_eq!(kit.check("cookies", "analytics"), denied(NeedsConsent));
    // The voice-call service: "Essential (technically necessary) cookies are used without receiving separate
    // consent of the User, since it is necessary to ensure the operation of the Website and
    // Service."
    assert_eq!(
        kit.check("cookies", "service"),
        allowed(LegalBasis::Contract)
    );
    grant(&kit, "analytics", "cookies");
    // The voice-call service: "Where required by applicable law, non-essential cookies are used solely on the
    // basis of user consent."
    assert_eq!(
        kit.check("cookies", "analytics"),
        allowed(LegalBasis::Consent)
    );

    // The voice-call service: "Data processed within the Voice Call Functionality may be used solely for
    // technical purposes"
    assert_eq!(
        kit.check("call_history", "analytics"),
        denied(NotDeclaredInPolicy)
    );

    os(&kit, OsPermission::Microphone, PermissionStatus::Denied);
    // The voice-call service: "the Contractor may have limited technical access to audio data generated through
    // the use of the Voice Call Functionality, provided that such data is accessible in
    // accordance with the architecture of the Service or the integrations used."
    assert_eq!(
        kit.check("call_recording", "support"),
        denied(OsPermissionDenied {
            permission: OsPermission::Microphone
        })
    );

    kit.object_to("analytics".into(), None).unwrap();
    // The voice-call service: "object to the processing of personal data on the grounds specified by law;" and
    // the basis "within the framework of the legitimate interest of the Contractor"
    assert_eq!(
        kit.check("diagnostics", "analytics"),
        denied(ObjectedByUser)
    );

    let kit = accepted(VOICECALL, Platform::Android);
    kit.restrict_processing().unwrap();
    // The voice-call service: "demand the deletion of personal data or restriction of their processing in cases
    // provided for by law;" with storage periods that take into account "legal requirements
    // for storing accounting, financial or technical information"
    assert_eq!(
        kit.check("billing", "legal_compliance"),
        allowed(LegalBasis::LegalObligation)
    );
    // The voice-call service: "demand the deletion of personal data or restriction of their processing in cases
    // provided for by law;"
    assert_eq!(
        kit.check("account_details", "service_updates"),
        denied(RestrictedByUser)
    );
}

#[test]
fn callsapp() {
    let tracking_denied = denied(OsPermissionDenied {
        permission: OsPermission::Tracking,
    });

    // The advertising identifier: the in-app consent is asked before the OS permission.
    let kit = accepted(CALLSAPP, Platform::Android);
    // CallsApp: "Мы можем получить ваше согласие на сбор и использование определенных типов личной
    // информации, когда это требуется по закону (например, в отношении файлов cookie и
    // технологий отслеживания" (We may obtain your consent ... where required by law, e.g.
    // for cookies and tracking technologies.)
    assert_eq!(
        kit.check("advertising_id", "advertising"),
        denied(NeedsConsent)
    );
    os(&kit, OsPermission::Tracking, PermissionStatus::Denied);
    // CallsApp: same sentence: without consent the reason stays the in-app one.
    assert_eq!(
        kit.check("advertising_id", "advertising"),
        denied(NeedsConsent)
    );
    os(&kit, OsPermission::Tracking, PermissionStatus::Granted);
    // CallsApp: "Your unique advertising identifier is created by your mobile device?s operating
    // system and you can change it or choose not to share it at any time."
    assert_eq!(
        kit.check("advertising_id", "advertising"),
        denied(NeedsConsent)
    );
    grant(&kit, "advertising", "advertising_id");
    // CallsApp: "to enable the limited advertisements on our service, we may share a unique
    // advertising identifier that is not attributable to you, with our third party advertising
    // partners"
    assert_eq!(
        kit.check("advertising_id", "advertising"),
        allowed(LegalBasis::Consent)
    );
    os(&kit, OsPermission::Tracking, PermissionStatus::Denied);
    // CallsApp: "you can change it or choose not to share it at any time."
    assert_eq!(kit.check("advertising_id", "advertising"), tracking_denied);

    let kit = accepted(CALLSAPP, Platform::Android);
    grant(&kit, "advertising", "advertising_id");
    // CallsApp: "you can change it or choose not to share it at any time." (not asked yet)
    assert_eq!(
        kit.check("advertising_id", "advertising"),
        denied(OsPermissionNotRequested {
            permission: OsPermission::Tracking
        })
    );
    kit.record_permission_request(OsPermission::Tracking, PermissionStatus::Denied, None, None)
        .unwrap();
    // CallsApp: "you can change it or choose not to share it at any time."
    assert_eq!(kit.check("advertising_id", "advertising"), tracking_denied);
    os(&kit, OsPermission::Tracking, PermissionStatus::Granted);
    // CallsApp: "to enable the limited advertisements on our service, we may share a unique
    // advertising identifier that is not attributable to you, with our third party advertising
    // partners"
    assert_eq!(
        kit.check("advertising_id", "advertising"),
        allowed(LegalBasis::Consent)
    );

    let kit = accepted(CALLSAPP, Platform::Android);
    os(&kit, OsPermission::Contacts, PermissionStatus::Granted);
    // CallsApp: "When you install the CallsApp App, you?ll also be asked to allow us access to your
    // mobile device?s address book." and "(vii) указать, кто из ваших контактов уже является
    // участником CallsApp, и уведомить вас, когда ваши контакты станут активными в Сервисе;"
    // ((vii) show which of your contacts are already CallsApp members ...)
    assert_eq!(
        kit.check("contacts", "service"),
        allowed(LegalBasis::Contract)
    );
    os(&kit, OsPermission::Contacts, PermissionStatus::Denied);
    // CallsApp: "When you install the CallsApp App, you?ll also be asked to allow us access to your
    // mobile device?s address book."
    assert_eq!(
        kit.check("contacts", "service"),
        denied(OsPermissionDenied {
            permission: OsPermission::Contacts
        })
    );

    location(&kit, LocationAccuracy::Approximate);
    // CallsApp: "We may also collect your WPS location data ? you can choose whether to allow this
    // by changing your geolocation tracking settings."
    assert_eq!(
        kit.check("location", "service"),
        allowed(LegalBasis::LegitimateInterest)
    );
    kit.object_to("service".into(), Some("location".into()))
        .unwrap();
    // CallsApp: same sentence: switching WPS location off is an objection.
    assert_eq!(kit.check("location", "service"), denied(ObjectedByUser));

    location(&kit, LocationAccuracy::Precise);
    // CallsApp: "Вам будет предложено разрешить использование данных о вашем местоположении до
    // того, как CallsApp предоставит вам определенные предложения услуг определения
    // местоположения" (You will be asked to allow the use of your location data before
    // CallsApp provides certain location-based service offers.)
    assert_eq!(kit.check("location", "marketing"), denied(NeedsConsent));

    // CallsApp: "While using the CallsApp Services, we won’t display your connection status,
    // whether you have received and seen messages sent to you." and "You can also control
    // your privacy settings within the App to change the visibility of your online status"
    assert_eq!(
        kit.check("online_status_visibility", "service"),
        denied(NeedsConsent)
    );

    let kit = accepted(CALLSAPP, Platform::Android);
    kit.restrict_processing().unwrap();
    // CallsApp: "As for call information (length of the call, missed calls etc.), we believe they
    // are important for other CallsApp users and therefore cannot be canceled."
    assert_eq!(
        kit.check("call_status_visibility", "service"),
        allowed(LegalBasis::Contract)
    );
    // CallsApp: "We will also keep your CallsApp call detail records for billing and legal records,
    // and to make you relevant offers." and the right to "ограничение использования вашей
    // личной информации" (restriction of the use of your personal information)
    assert_eq!(
        kit.check("call_history", "marketing"),
        denied(RestrictedByUser)
    );
}

#[test]
fn mamontcall() {
    let kit = accepted(MAMONTCALL, Platform::Android);
    os(&kit, OsPermission::Microphone, PermissionStatus::Granted);
    // MamontCall: "We do not record the content of conversations unless the client has independently
    // activated the recording function."
    assert_eq!(kit.check("call_recording", "service"), denied(NeedsConsent));

    grant(&kit, "service", "call_recording");
    // MamontCall: "We do not record the content of conversations unless the client has independently
    // activated the recording function."
    assert_eq!(
        kit.check("call_recording", "service"),
        allowed(LegalBasis::Consent)
    );

    kit.withdraw_consent("service".into(), Some("call_recording".into()))
        .unwrap();
    // MamontCall: "We do not record the content of conversations unless the client has independently
    // activated the recording function." (turned off again: recording stops)
    assert_eq!(
        kit.check("call_recording", "service"),
        denied(ConsentWithdrawn)
    );

    grant(&kit, "service", "call_recording");
    os(&kit, OsPermission::Microphone, PermissionStatus::Denied);
    // MamontCall: "We do not record the content of conversations unless the client has independently
    // activated the recording function." (the client's switch does not override the OS)
    assert_eq!(
        kit.check("call_recording", "service"),
        denied(OsPermissionDenied {
            permission: OsPermission::Microphone
        })
    );

    os(&kit, OsPermission::Microphone, PermissionStatus::Granted);
    // MamontCall: "We do not record the content of conversations unless the client has independently
    // activated the recording function." and "Call statistics (without content) are stored
    // for 6 months." (recordings serve the service only)
    assert_eq!(
        kit.check("call_recording", "support"),
        denied(NotDeclaredInPolicy)
    );
    // MamontCall: "We do not sell or transfer personal data to third parties for advertising
    // purposes."
    assert_eq!(
        kit.check("call_statistics", "advertising"),
        denied(NotDeclaredInPolicy)
    );

    let kit = open(MAMONTCALL, Platform::Android);
    // MamontCall: "Compliance with legislation and implementation of Anti-Scam policy and KYC
    // checks."
    assert_eq!(
        kit.check("account_details", "legal_compliance"),
        allowed(LegalBasis::LegalObligation)
    );
    // MamontCall: "By using MamontCall services, the user agrees to the terms of this Policy."
    assert_eq!(
        kit.check("call_statistics", "service"),
        denied(PolicyNotAccepted)
    );

    let kit = accepted(MAMONTCALL, Platform::Android);
    kit.restrict_processing().unwrap();
    // MamontCall: "Billing, calculations, and financial accounting." and "Demand data deletion,
    // taking into account legal requirements."
    assert_eq!(
        kit.check("billing", "legal_compliance"),
        allowed(LegalBasis::LegalObligation)
    );
    // MamontCall: "Provision and improvement of MamontCall services." (legitimate interest, which a
    // restriction stops)
    assert_eq!(
        kit.check("call_statistics", "analytics"),
        denied(RestrictedByUser)
    );
}

#[test]
fn every_example_policy_validates_and_declares_processing() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/policies");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 6, "expected six example policies: {files:?}");
    for path in files {
        let json = std::fs::read_to_string(&path).unwrap();
        let info = privacykit::validate_policy(json)
            .unwrap_or_else(|e| panic!("{} does not validate: {e}", path.display()));
        assert!(
            !info.processing.is_empty(),
            "{} declares no processing",
            path.display()
        );
    }
}

/// The schema name of each OS permission (`os_permission` in the document).
fn schema_name(permission: Option<OsPermission>) -> &'static str {
    match permission {
        Some(OsPermission::Contacts) => "contacts",
        Some(OsPermission::Location) => "location",
        Some(OsPermission::CallLog) => "call_log",
        Some(OsPermission::Microphone) => "microphone",
        Some(OsPermission::Tracking) => "tracking",
        Some(OsPermission::Camera) => "camera",
        Some(OsPermission::Photos) => "photos",
        Some(OsPermission::Notifications) => "notifications",
        Some(OsPermission::Calendar) => "calendar",
        Some(OsPermission::NearbyDevices) => "nearby_devices",
        Some(OsPermission::PhoneState) => "phone_state",
        None => "none",
    }
}

fn strings(value: &serde_json::Value, pointer: &str) -> Vec<String> {
    value
        .pointer(pointer)
        .and_then(|v| v.as_array())
        .unwrap_or_else(|| panic!("the schema has no array at {pointer}"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

fn text<'a>(value: &'a serde_json::Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("the schema has no string at {pointer}"))
}

/// The comma-separated list in `text` between `marker` and the next `end`.
fn listed_after(text: &str, marker: &str, end: &str) -> Vec<String> {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} not found in {text:?}"))
        + marker.len();
    let rest = &text[start..];
    rest[..rest.find(end).unwrap_or(rest.len())]
        .split(',')
        .map(|s| s.trim().to_owned())
        .collect()
}

/// Sorted, and the same length as the input only if there were no duplicates.
fn set(ids: &[String]) -> Vec<&str> {
    let set: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    assert_eq!(set.len(), ids.len(), "duplicate ids in {ids:?}");
    set.into_iter().collect()
}

#[test]
fn schema_lists_exactly_the_built_in_ids() {
    assert_eq!(privacykit::policy_json_schema(), SCHEMA);
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
    let categories: Vec<String> = privacykit::BUILT_IN_CATEGORIES
        .iter()
        .map(|(id, _)| (*id).to_owned())
        .collect();
    let purposes: Vec<String> = privacykit::BUILT_IN_PURPOSES
        .iter()
        .map(|id| (*id).to_owned())
        .collect();
    let (categories, purposes) = (set(&categories), set(&purposes));

    // The "examples" arrays that list built-in ids only.
    for pointer in [
        "/$defs/processing/properties/category/examples",
        "/$defs/builtinCategoryIds/enum",
    ] {
        assert_eq!(set(&strings(&schema, pointer)), categories, "{pointer}");
    }
    for pointer in [
        "/$defs/purpose/properties/id/examples",
        "/$defs/processing/properties/purpose/examples",
        "/$defs/builtinPurposeIds/enum",
    ] {
        assert_eq!(set(&strings(&schema, pointer)), purposes, "{pointer}");
    }

    // A category's id examples are the built-in ids followed by the custom examples its
    // description names.
    let id_description = text(&schema, "/$defs/category/properties/id/description");
    let customs = listed_after(id_description, "custom category, e.g. ", ";");
    let examples = strings(&schema, "/$defs/category/properties/id/examples");
    let (built_in, custom) = examples.split_at(examples.len() - customs.len());
    assert_eq!(set(built_in), categories);
    assert_eq!(custom, customs.as_slice());
    assert!(custom.iter().all(|id| !categories.contains(&id.as_str())));

    // The prose lists agree too, including each built-in category's default os_permission.
    assert_eq!(
        set(&listed_after(
            text(&schema, "/properties/categories/description"),
            "Built-in ids: ",
            ";"
        )),
        categories
    );
    assert_eq!(
        set(&listed_after(
            text(&schema, "/properties/purposes/description"),
            "Built-in ids: ",
            ";"
        )),
        purposes
    );
    let defaults: Vec<String> = privacykit::BUILT_IN_CATEGORIES
        .iter()
        .map(|(id, permission)| format!("{id} ({})", schema_name(*permission)))
        .collect();
    // "... call_recording (microphone), diagnostics (none). Any other id ..."
    assert_eq!(
        listed_after(
            id_description,
            "Built-in ids (default os_permission in brackets): ",
            ". "
        ),
        defaults
    );
    let mut permissions: Vec<String> = OsPermission::ALL
        .iter()
        .map(|p| schema_name(Some(*p)).to_owned())
        .collect();
    permissions.push("none".to_owned());
    assert_eq!(
        set(&strings(
            &schema,
            "/$defs/category/properties/os_permission/enum"
        )),
        set(&permissions)
    );
}

// Format 2 practices: age rules by jurisdiction, unknown_age, acceptance by continued use,
// recipients and transfers, commitments, and retention counted from an event.

fn declare_in(kit: &PrivacyKit, birth_date: &str, jurisdiction: Option<&str>) {
    kit.declare_user_facts(
        UserFacts {
            birth_date: Some(birth_date.into()),
            age_years: None,
            jurisdiction: jurisdiction.map(str::to_owned),
        },
        ConsentSource::User,
    )
    .unwrap();
}

/// A birth date `years` years and a few days before today, so the age is exactly `years`.
fn born_years_ago(years: i32) -> String {
    let today = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400) as i64;
    let (y, m, d) = civil_from_days(today - 10);
    format!("{:04}-{m:02}-{d:02}", y - i64::from(years)).replace("-02-29", "-02-28")
}

/// Days since 1970-01-01 to a (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn export(kit: &PrivacyKit) -> serde_json::Value {
    serde_json::from_str(&kit.export_personal_data().unwrap()).unwrap()
}

fn info(policy: &str) -> privacykit::PolicyInfo {
    privacykit::validate_policy(policy.to_owned()).unwrap()
}

/// Opens `policy` on a file with a clock the test moves, the policy accepted.
fn open_clocked(policy: &str, dir: &tempfile::TempDir, clock: Arc<ManualClock>) -> Arc<PrivacyKit> {
    let kit = PrivacyKit::open_with_clock(
        PrivacyKitConfig {
            database_path: Some(dir.path().join("pk.db").to_str().unwrap().to_owned()),
            policy_json: policy.to_owned(),
            platform: Platform::Android,
            utc_offset_minutes: 0,
            key_provider: None,
        },
        clock,
    )
    .unwrap();
    kit.accept_policy().unwrap();
    kit
}

/// A clock the test moves by hand.
struct ManualClock(std::sync::atomic::AtomicI64);

impl ManualClock {
    fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

impl privacykit::Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

const DAY_MS: i64 = 86_400_000;
/// 2026-03-01T12:00:00Z
const MARCH_1_NOON: i64 = 1_772_366_400_000;

fn due_ids(kit: &PrivacyKit) -> Vec<String> {
    kit.due_for_deletion()
        .unwrap()
        .into_iter()
        .map(|d| d.data)
        .collect()
}

/// The accept_policy receipt says which notice the user kept using the app after.
fn assert_accepted_by_continued_use(policy: &str, policy_id: &str) {
    let kit = open(policy, Platform::Android);
    let entry = kit.accept_policy().unwrap();
    let detail: serde_json::Value = serde_json::from_str(entry.detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["acceptance"], "continued_use_after_notice");
    assert_eq!(detail["notice_of"]["policy_id"], policy_id);
    assert_eq!(
        export(&kit)["declared_practices"]["acceptance"],
        "continued_use_after_notice"
    );
}

#[test]
fn promophone_age_rules() {
    let kit = open_undeclared(PROMOPHONE, Platform::Android);
    kit.accept_policy().unwrap();
    os(&kit, OsPermission::Contacts, PermissionStatus::Granted);
    // Promophone: "The Promophone application is not intended to be used by children under 13
    // years of age." A declared 12-year-old is refused the service itself, and everything else.
    declare(&kit, &born_years_ago(12), ConsentSource::User);
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::BelowMinimumAge);
    assert_eq!(kit.check("contacts", "service"), denied(BelowMinimumAge));
    grant(&kit, "advertising", "location");
    assert_eq!(
        kit.check("location", "advertising"),
        denied(BelowMinimumAge)
    );
    // At 13 the service runs, and with no other age named 13 is also the age of consent.
    declare(&kit, &born_years_ago(13), ConsentSource::User);
    assert_eq!(
        kit.check("contacts", "service"),
        allowed(LegalBasis::Contract)
    );
}

#[test]
fn promophone_protects_a_user_who_never_declared_an_age() {
    // unknown_age is protect: the age comes from the linked profile, and until it does the
    // service runs but advertising does not, even with consent.
    let kit = open_undeclared(PROMOPHONE, Platform::Android);
    kit.accept_policy().unwrap();
    os(&kit, OsPermission::Contacts, PermissionStatus::Granted);
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::Unknown);
    assert!(kit.age_status().unwrap().protective_defaults);
    assert_eq!(
        kit.check("contacts", "service"),
        allowed(LegalBasis::Contract)
    );
    grant(&kit, "advertising", "device_info");
    assert!(!kit.check("device_info", "advertising").allowed);
}

#[test]
fn promophone_acceptance_and_transfers() {
    // Promophone: "you agree that continuing to use the mobile application of Promophone is
    // confirmation of your approval of the Confidentiality Regulations."
    assert_accepted_by_continued_use(PROMOPHONE, "com.promophone.app");
    // "The fact that you use the Promophone application means you agree to any transfer of
    // information beyond the borders of your country."
    let kit = open(PROMOPHONE, Platform::Android);
    let recipients = export(&kit)["declared_practices"]["recipients"].clone();
    let operators = recipients
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "communication_operators")
        .unwrap();
    assert_eq!(operators["kind"], "processor");
    assert_eq!(
        operators["transfers"][0]["countries"],
        serde_json::json!(["RU"])
    );
    assert_eq!(operators["transfers"][0]["safeguard"], "consent");
    let partners = recipients
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "advertising_partners")
        .unwrap();
    assert_eq!(partners["kind"], "independent_controller");
}

#[test]
fn callsapp_age_rules() {
    let kit = open_undeclared(CALLSAPP, Platform::Android);
    kit.accept_policy().unwrap();
    os(&kit, OsPermission::Tracking, PermissionStatus::Granted);
    kit.grant_consent("advertising".into(), None).unwrap();
    // unknown_age is protect: open from age 10 and no age asked at installation, so a user
    // who never declared one gets the protective defaults.
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::Unknown);
    assert_eq!(
        kit.check("advertising_id", "advertising"),
        denied(NotAllowedForMinors)
    );
    // CallsApp: "В ЕЭЗ определенные настройки конфиденциальности по умолчанию будут
    // применяться к пользователям младше ... 16 лет и может быть изменен только по
    // письменному указанию законного опекуна." A 14-year-old in Germany is a minor.
    declare_in(&kit, &born_years_ago(14), Some("DE"));
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::Minor);
    assert_eq!(
        kit.check("advertising_id", "advertising"),
        denied(NotAllowedForMinors)
    );
    // Outside the EEA the 16 does not apply: a 14-year-old in the US is not asked for a
    // guardian's consent.
    let us = open_undeclared(CALLSAPP, Platform::Android);
    us.accept_policy().unwrap();
    os(&us, OsPermission::Tracking, PermissionStatus::Granted);
    us.grant_consent("advertising".into(), None).unwrap();
    declare_in(&us, &born_years_ago(14), Some("US"));
    assert_eq!(us.age_status().unwrap().group, AgeGroup::Adult);
    assert_eq!(
        us.check("advertising_id", "advertising"),
        allowed(LegalBasis::Consent)
    );
    // CallsApp: "Наши Услуги не предназначены для детей младше 10 лет": a 9-year-old is refused
    // the service in every jurisdiction.
    for place in ["DE", "US"] {
        let child = open_undeclared(CALLSAPP, Platform::Android);
        child.accept_policy().unwrap();
        declare_in(&child, &born_years_ago(9), Some(place));
        assert_eq!(child.age_status().unwrap().group, AgeGroup::BelowMinimumAge);
        assert_eq!(child.check("messages", "service"), denied(BelowMinimumAge));
    }
}

#[test]
fn callsapp_guardian_settings_only_a_guardian_changes() {
    let kit = open_undeclared(CALLSAPP, Platform::Android);
    kit.accept_policy().unwrap();
    kit.declare_user_facts(
        UserFacts {
            birth_date: Some(born_years_ago(14)),
            age_years: None,
            jurisdiction: Some("DE".into()),
        },
        ConsentSource::Guardian,
    )
    .unwrap();
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::Minor);
    // "... может быть изменен только по письменному указанию законного опекуна": the
    // 14-year-old cannot declare themselves older; the guardian can.
    let refused = kit.declare_user_facts(
        UserFacts {
            birth_date: Some("1990-01-01".into()),
            age_years: None,
            jurisdiction: Some("DE".into()),
        },
        ConsentSource::User,
    );
    assert!(refused.is_err());
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::Minor);
}

#[test]
fn callsapp_commitments_and_acceptance() {
    // CallsApp: "Вы соглашаетесь с тем, что мы можем уведомлять вас о существенных изменениях
    // ... размещая уведомление в Приложении."
    assert_accepted_by_continued_use(CALLSAPP, "com.callsapp.android");
    let kit = open(CALLSAPP, Platform::Android);
    let practices = export(&kit)["declared_practices"].clone();
    let commitment = |kind: &str| {
        practices["commitments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} commitment"))
            .clone()
    };
    // "A copy of the phone numbers and names of all your contacts won't be collected and
    // stored on our servers."
    assert_eq!(
        commitment("not_stored_on_servers")["categories"],
        serde_json::json!(["contacts"])
    );
    // "... all of CallsApp's core features are secured with end-to-end encryption"; "we do not
    // store those messages once they have been delivered".
    assert_eq!(
        commitment("end_to_end_encrypted")["categories"],
        serde_json::json!(["messages"])
    );
    // "If ... the message wasn't delivered to its destination within up to 2 weeks, it will be
    // deleted from our servers."
    let undelivered = commitment("server_retention");
    assert_eq!(undelivered["days"], 14);
    assert_eq!(undelivered["what"], "undelivered messages");
    // "When you join CallsApp, the contacts in your address book that are already CallsApp
    // members may be informed that you're now on CallsApp too."
    assert!(commitment("others_notified")["text"]
        .as_str()
        .unwrap()
        .contains("informed"));
    // "We store and process your personal information on our computers in the USA, Asia,
    // Europe (including Russia), Australia and Brazil."
    let group = practices["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "callsapp_group")
        .unwrap()
        .clone();
    assert_eq!(group["kind"], "joint_controller");
    assert_eq!(
        group["transfers"][0]["countries"],
        serde_json::json!(["US", "RU", "AU", "BR"])
    );
}

#[test]
fn promt_treats_an_undeclared_user_as_an_adult() {
    // unknown_age is adult: the desktop product never asks an age. A user who never declared
    // one may consent to the newsletter without a guardian.
    let kit = open_undeclared(PROMT, Platform::Android);
    kit.accept_policy().unwrap();
    let status = kit.age_status().unwrap();
    assert_eq!(status.group, AgeGroup::Unknown);
    assert!(!status.protective_defaults, "unknown_age is adult");
    grant(&kit, "marketing", "newsletter_subscription");
    assert_eq!(
        kit.check("newsletter_subscription", "marketing"),
        allowed(LegalBasis::Consent)
    );
    // The policy is accepted explicitly: no notice in the receipt.
    assert_eq!(kit.accept_policy().unwrap().detail, None);
    // Its analytics providers decide their own purposes.
    let recipients = &info(PROMT).recipients;
    assert!(recipients
        .iter()
        .all(|r| r.kind == privacykit::RecipientKind::IndependentController));
}

#[test]
fn promt_newsletter_retention_counts_from_the_users_events() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock(MARCH_1_NOON.into()));
    let kit = open_clocked(PROMT, &dir, clock.clone());
    // PROMT: "If you do not confirm your registration within 24 hours, your data will be shut
    // down and removed within one month." The app reports the sign-up left unconfirmed.
    kit.report_retention_event(RetentionEvent::UnconfirmedSignup)
        .unwrap();
    clock.advance_ms(30 * DAY_MS - 1);
    assert!(!due_ids(&kit).contains(&"unconfirmed_subscriptions".to_owned()));
    clock.advance_ms(1);
    assert!(due_ids(&kit).contains(&"unconfirmed_subscriptions".to_owned()));
    // "... no later than within one month delete your e-mail from our database."
    assert!(!due_ids(&kit).contains(&"unsubscribed_emails".to_owned()));
    kit.report_retention_event(RetentionEvent::Unsubscribe)
        .unwrap();
    clock.advance_ms(30 * DAY_MS);
    let due = kit.due_for_deletion().unwrap();
    let unsubscribed = due
        .iter()
        .find(|d| d.data == "unsubscribed_emails")
        .unwrap();
    assert_eq!(unsubscribed.event, Some(RetentionEvent::Unsubscribe));
    assert_eq!(unsubscribed.due_since_ms, MARCH_1_NOON + 60 * DAY_MS);
    // "information ... is temporarily saved in the log file up to the automatic removal (7
    // days at the latest)": the servers' promise, in the export.
    let practices = export(&kit)["declared_practices"].clone();
    assert_eq!(practices["commitments"][0]["kind"], "server_retention");
    assert_eq!(practices["commitments"][0]["days"], 7);
}

#[test]
fn voicecall_practices() {
    // No age is named: the service is contracted by adults and never asks one, so a user who
    // never declared an age is treated as an adult.
    let kit = open_undeclared(VOICECALL, Platform::Android);
    let status = kit.age_status().unwrap();
    assert_eq!(status.group, AgeGroup::Unknown);
    assert!(!status.protective_defaults, "unknown_age is adult");
    // The voice-call service: "Continued use of the Service after the entry into force of the
    // updated version of the Privacy Policy shall be deemed confirmation of ... their
    // acceptance".
    assert_accepted_by_continued_use(VOICECALL, "com.voicecall.service");
    // "third parties may act as: personal data processors (sub-processors) of the Contractor;
    // or independent personal data controllers."
    let kinds: Vec<_> = info(VOICECALL)
        .recipients
        .iter()
        .map(|r| (r.id.clone(), r.kind))
        .collect();
    use privacykit::RecipientKind::*;
    for (id, kind) in [
        ("hosting_providers", Processor),
        ("payment_providers", IndependentController),
        ("web_analytics_providers", IndependentController),
        ("authorized_bodies", PublicAuthority),
    ] {
        assert!(kinds.contains(&(id.to_owned(), kind)), "{id}: {kinds:?}");
    }
}

#[test]
fn mamontcall_practices() {
    // No age is named; clients are businesses that never state one.
    let kit = open_undeclared(MAMONTCALL, Platform::Android);
    let status = kit.age_status().unwrap();
    assert_eq!(status.group, AgeGroup::Unknown);
    assert!(!status.protective_defaults, "unknown_age is adult");
    // MamontCall: "Continued use of the service implies agreement with the updated Policy."
    assert_accepted_by_continued_use(MAMONTCALL, "com.mamontcall.app");
    let practices = export(&kit)["declared_practices"].clone();
    let kinds: Vec<_> = practices["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_owned())
        .collect();
    // "all actions are logged"; "We do not record the content of conversations unless the
    // client has independently activated the recording function."; "all control traffic and
    // voice calls are encrypted by default."
    for kind in [
        "actions_logged",
        "recorded_only_when_enabled",
        "encrypted_in_transit",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind}: {kinds:?}");
    }
    // Recording runs only once the client turned it on (gave consent).
    let kit = accepted(MAMONTCALL, Platform::Android);
    os(&kit, OsPermission::Microphone, PermissionStatus::Granted);
    assert_eq!(kit.check("call_recording", "service"), denied(NeedsConsent));
    grant(&kit, "service", "call_recording");
    assert_eq!(
        kit.check("call_recording", "service"),
        allowed(LegalBasis::Consent)
    );
}

#[test]
fn mamontcall_billing_is_due_twelve_months_after_closure() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock(MARCH_1_NOON.into()));
    let kit = open_clocked(MAMONTCALL, &dir, clock.clone());
    // MamontCall: "Billing data is stored for the duration of the account and for 12 months
    // after its closure." While the account is open, billing is never due.
    clock.advance_ms(800 * DAY_MS);
    assert!(!due_ids(&kit).contains(&"billing_after_closure".to_owned()));
    // "Technical logs are stored for 30 days": counted from when each was made.
    let logs = kit
        .due_for_deletion()
        .unwrap()
        .into_iter()
        .find(|d| d.data == "technical_logs")
        .unwrap();
    assert_eq!(logs.event, None);
    assert_eq!(logs.due_since_ms, MARCH_1_NOON + 770 * DAY_MS);

    let closed_at = kit
        .report_retention_event(RetentionEvent::AccountClosure)
        .unwrap()
        .occurred_at_ms;
    clock.advance_ms(365 * DAY_MS - 1);
    assert!(!due_ids(&kit).contains(&"billing_after_closure".to_owned()));
    clock.advance_ms(1);
    let due = kit.due_for_deletion().unwrap();
    let billing = due
        .iter()
        .find(|d| d.data == "billing_after_closure")
        .unwrap();
    assert_eq!(billing.event_at_ms, Some(closed_at));
    assert_eq!(billing.due_since_ms, closed_at + 365 * DAY_MS);
    assert_eq!(
        export(&kit)["retention_events"][0]["event"],
        "account_closure"
    );
}
