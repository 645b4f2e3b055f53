//! No password survives redaction or a `DbUrl` error, whatever shape it
//! comes in (see `dbguard_testkit::secrets`).

use dbguard_pg::redact::redact;
use dbguard_pg::DbUrl;
use dbguard_testkit::secrets::{leaked_forms, shapes};
use proptest::prelude::*;

/// A password that cannot coincide with the text around it.
fn password() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{2}[A-Za-z0-9._~!$%*+,;=@:/?#&-]{4,16}[A-Za-z0-9]{2}".prop_map(|p| format!("Qz{p}"))
}

/// Neither the password nor any six characters of it (in any leaked form) appear.
fn assert_hidden(output: &str, password: &str, what: &str) -> Result<(), TestCaseError> {
    for form in leaked_forms(password) {
        let chars: Vec<char> = form.chars().collect();
        for window in chars.windows(6) {
            let piece: String = window.iter().collect();
            prop_assert!(
                !output.contains(&piece),
                "{what} shows {piece:?} of the password {form:?}: {output}"
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn no_shape_of_credential_survives(
        user in "[a-z]{1,8}",
        password in password(),
        host in "[a-z]{1,10}(\\.example\\.com)?",
    ) {
        for shape in shapes(&user, &password, &host) {
            for text in [&shape.text, &shape.command_line] {
                assert_hidden(&redact(text), &password, shape.name)?;
                match DbUrl::parse(text) {
                    Ok(url) => {
                        assert_hidden(&url.to_string(), &password, shape.name)?;
                        assert_hidden(&format!("{url:?}"), &password, shape.name)?;
                        assert_hidden(&url.libpq().conninfo, &password, shape.name)?;
                    }
                    Err(e) => {
                        assert_hidden(&e.to_string(), &password, shape.name)?;
                        assert_hidden(&format!("{e:?}"), &password, shape.name)?;
                    }
                }
            }
        }
    }
}
