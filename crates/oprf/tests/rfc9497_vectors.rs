//! RFC 9497 Appendix A.1, ristretto255-SHA512: every test vector of OPRF mode (A.1.1) and of
//! VOPRF mode (A.1.2), the batch of two included, read from the RFC's own text in
//! tests/data/rfc9497_ristretto255_sha512.txt. Each vector is run through every step: key
//! derivation, Blind with the vector's blinds, BlindEvaluate (with the vector's proof nonce in
//! VOPRF mode), Finalize from the vector's own bytes, and the server's unblinded Evaluate.

use privacykit_oprf::{
    Blinded, Elements, Mode, Oprf, Proof, PublicKey, SecretKey, Voprf, SCALAR_LEN,
};

const VECTORS: &str = include_str!("data/rfc9497_ristretto255_sha512.txt");

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length: {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// One `Name = value` of the appendix: a value is hex, or comma-separated hex for a batch.
struct Field {
    name: String,
    value: String,
}

/// A mode's section: its key parameters, then its test vectors.
struct Section {
    heading: String,
    parameters: Vec<Field>,
    vectors: Vec<Vector>,
}

struct Vector {
    heading: String,
    batch_size: usize,
    fields: Vec<Field>,
}

fn get<'a>(fields: &'a [Field], name: &str, at: &str) -> Option<&'a str> {
    let mut found = fields.iter().filter(|f| f.name == name);
    let field = found.next()?;
    assert!(found.next().is_none(), "{at}: {name} given twice");
    Some(&field.value)
}

fn one(fields: &[Field], name: &str, at: &str) -> Vec<u8> {
    hex(get(fields, name, at).unwrap_or_else(|| panic!("{at}: no {name}")))
}

fn list(fields: &[Field], name: &str, at: &str) -> Vec<Vec<u8>> {
    get(fields, name, at)
        .unwrap_or_else(|| panic!("{at}: no {name}"))
        .split(',')
        .map(hex)
        .collect()
}

/// Reads the appendix as the RFC prints it: section headings at the margin, `Name = value`
/// lines indented, long values continued on the following indented lines.
fn sections() -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for line in VECTORS.lines() {
        if line.starts_with("A.1.") {
            let heading = line.split_whitespace().collect::<Vec<_>>().join(" ");
            if heading.ends_with(" Mode") {
                sections.push(Section {
                    heading,
                    parameters: Vec::new(),
                    vectors: Vec::new(),
                });
            } else {
                let batch_size = heading
                    .rsplit_once("Batch Size ")
                    .and_then(|(_, n)| n.parse().ok())
                    .unwrap_or_else(|| panic!("a heading without a batch size: {heading}"));
                let section = sections.last_mut().expect("a vector inside a section");
                section.vectors.push(Vector {
                    heading,
                    batch_size,
                    fields: Vec::new(),
                });
            }
        } else if let Some(text) = line.strip_prefix("   ") {
            let section = sections.last_mut().expect("values inside a section");
            let fields = match section.vectors.last_mut() {
                Some(vector) => &mut vector.fields,
                None => &mut section.parameters,
            };
            match text.split_once(" = ") {
                Some((name, value)) => fields.push(Field {
                    name: name.to_owned(),
                    value: value.to_owned(),
                }),
                None => fields
                    .last_mut()
                    .expect("a continuation after a value")
                    .value
                    .push_str(text.trim()),
            }
        }
    }
    sections
}

fn section(name: &str) -> Section {
    sections()
        .into_iter()
        .find(|s| s.heading.ends_with(name))
        .unwrap_or_else(|| panic!("no section {name}"))
}

fn scalars(values: &[Vec<u8>]) -> Vec<[u8; SCALAR_LEN]> {
    values
        .iter()
        .map(|v| v.as_slice().try_into().expect("32-byte scalars"))
        .collect()
}

/// The key of a section, derived as the appendix says, and checked against its `skSm`.
fn derived_key<M: Mode>(section: &Section) -> SecretKey<M> {
    let at = &section.heading;
    let key = SecretKey::<M>::derive(
        &one(&section.parameters, "Seed", at),
        &one(&section.parameters, "KeyInfo", at),
    )
    .unwrap();
    let sk = one(&section.parameters, "skSm", at);
    assert_eq!(key.to_bytes().to_vec(), sk, "{at}: skSm");
    let again = SecretKey::<M>::from_bytes(&sk).unwrap();
    assert_eq!(again.public().to_bytes(), key.public().to_bytes());
    key
}

/// What every vector of either mode has: inputs, blinds, the blinded batch it gives, and the
/// expected evaluated elements and outputs.
struct Common<M: Mode> {
    inputs: Vec<Vec<u8>>,
    blinded: Blinded<M>,
    evaluated: Vec<Vec<u8>>,
    outputs: Vec<Vec<u8>>,
}

fn blind<M: Mode>(vector: &Vector) -> Common<M> {
    let at = &vector.heading;
    let inputs = list(&vector.fields, "Input", at);
    assert_eq!(inputs.len(), vector.batch_size, "{at}: batch size");
    let blinds = scalars(&list(&vector.fields, "Blind", at));
    let blinded = Blinded::<M>::with_blinds(&inputs, &blinds).unwrap();
    let got: Vec<Vec<u8>> = blinded.encoded().iter().map(|e| e.to_vec()).collect();
    assert_eq!(
        got,
        list(&vector.fields, "BlindedElement", at),
        "{at}: Blind"
    );
    Common {
        inputs,
        blinded,
        evaluated: list(&vector.fields, "EvaluationElement", at),
        outputs: list(&vector.fields, "Output", at),
    }
}

fn check_outputs<M: Mode>(
    at: &str,
    key: &SecretKey<M>,
    common: &Common<M>,
    outputs: &[privacykit_oprf::Output],
) {
    let got: Vec<Vec<u8>> = outputs.iter().map(|o| o.to_vec()).collect();
    assert_eq!(got, common.outputs, "{at}: Finalize");
    for (input, output) in common.inputs.iter().zip(outputs) {
        assert_eq!(key.evaluate(input).unwrap(), *output, "{at}: Evaluate");
    }
}

#[test]
fn the_appendix_has_every_vector_of_both_modes() {
    let sections = sections();
    let headings: Vec<&str> = sections.iter().map(|s| s.heading.as_str()).collect();
    assert_eq!(headings, ["A.1.1. OPRF Mode", "A.1.2. VOPRF Mode"]);
    let sizes: Vec<Vec<usize>> = sections
        .iter()
        .map(|s| s.vectors.iter().map(|v| v.batch_size).collect())
        .collect();
    assert_eq!(sizes, [vec![1, 1], vec![1, 1, 2]]);
    let printed = VECTORS.matches("Test Vector ").count();
    assert_eq!(printed, 5, "every printed vector is read");
}

/// A.1.1: OPRF mode, two vectors of one input each.
#[test]
fn rfc_9497_a_1_1_oprf_mode() {
    let section = section("OPRF Mode");
    assert!(!section.heading.contains("VOPRF"));
    let key = derived_key::<Oprf>(&section);
    assert_eq!(section.vectors.len(), 2);
    for vector in &section.vectors {
        let at = &vector.heading;
        let common = blind::<Oprf>(vector);

        // BlindEvaluate: OPRF mode has no proof.
        let request = Elements::parse(common.blinded.encoded()).unwrap();
        let evaluated = key.blind_evaluate(&request).unwrap();
        let got: Vec<Vec<u8>> = evaluated.iter().map(|e| e.to_vec()).collect();
        assert_eq!(got, common.evaluated, "{at}: BlindEvaluate");

        // Finalize from the vector's own bytes.
        let response = Elements::parse(&common.evaluated).unwrap();
        let outputs = common
            .blinded
            .finalize(&common.inputs, &response, common.inputs.len())
            .unwrap();
        check_outputs(at, &key, &common, &outputs);
    }
}

/// A.1.2: VOPRF mode, two vectors of one input and a batch of two with one proof.
#[test]
fn rfc_9497_a_1_2_voprf_mode() {
    let section = section("VOPRF Mode");
    let at = &section.heading;
    let key = derived_key::<Voprf>(&section);
    let pk_bytes = one(&section.parameters, "pkSm", at);
    assert_eq!(key.public().to_bytes().to_vec(), pk_bytes, "{at}: pkSm");
    let pk = PublicKey::parse(&pk_bytes).unwrap();
    assert_eq!(section.vectors.len(), 3);
    for vector in &section.vectors {
        let at = &vector.heading;
        let common = blind::<Voprf>(vector);
        let proof_bytes = one(&vector.fields, "Proof", at);
        let nonce = scalars(&[one(&vector.fields, "ProofRandomScalar", at)])[0];

        // BlindEvaluate with the vector's proof random scalar.
        let request = Elements::parse(common.blinded.encoded()).unwrap();
        let (evaluated, proof) = key.blind_evaluate_with_nonce(&request, &nonce).unwrap();
        let got: Vec<Vec<u8>> = evaluated.iter().map(|e| e.to_vec()).collect();
        assert_eq!(got, common.evaluated, "{at}: BlindEvaluate");
        assert_eq!(proof.to_bytes().to_vec(), proof_bytes, "{at}: proof");

        // Finalize from the vector's own bytes: the proof verifies against pkSm.
        let response = Elements::parse(&common.evaluated).unwrap();
        let proof = Proof::from_bytes(&proof_bytes).unwrap();
        common.blinded.verify(&response, &proof, &pk).unwrap();
        let outputs = common
            .blinded
            .finalize(&common.inputs, &response, &proof, &pk, common.inputs.len())
            .unwrap();
        check_outputs(at, &key, &common, &outputs);
    }
}
