//! Reading a request's `requestData`, with the status codes obs-websocket
//! answers for a missing field (300, or 301 when there is no requestData
//! at all), a field of the wrong type (401), an empty one (403) or one out
//! of range (402). A `null` field is a field not given (obsws-python sends
//! its unset parameters as null).

use crate::protocol::status;
use serde_json::{Map, Value};

/// What a request answered: its status, a comment, and its data (None:
/// the request has none, so the key is left out, as OBS does).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub code: u16,
    pub comment: Option<String>,
    pub data: Option<Value>,
}

impl Reply {
    pub fn data(data: Value) -> Reply {
        Reply {
            code: status::SUCCESS,
            comment: None,
            data: Some(data),
        }
    }
    pub fn done() -> Reply {
        Reply {
            code: status::SUCCESS,
            comment: None,
            data: None,
        }
    }
    pub fn fail(code: u16, comment: impl Into<String>) -> Reply {
        Reply {
            code,
            comment: Some(comment.into()),
            data: None,
        }
    }
    pub fn ok(&self) -> bool {
        self.code == status::SUCCESS
    }
}

/// A request's fields.
#[derive(Debug, Clone, Copy)]
pub struct Args<'a> {
    data: Option<&'a Map<String, Value>>,
}

impl<'a> Args<'a> {
    pub fn new(data: Option<&'a Map<String, Value>>) -> Args<'a> {
        Args { data }
    }

    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.data?.get(name).filter(|v| !v.is_null())
    }

    fn missing(&self, name: &str) -> Reply {
        match self.data {
            None => Reply::fail(
                status::MISSING_REQUEST_DATA,
                format!("Your request is missing `requestData` (it needs the field `{name}`)."),
            ),
            Some(_) => Reply::fail(
                status::MISSING_REQUEST_FIELD,
                format!("Your request is missing the field `{name}`."),
            ),
        }
    }

    pub fn opt_str(&self, name: &str) -> Result<Option<&'a str>, Reply> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Err(Reply::fail(
                status::REQUEST_FIELD_EMPTY,
                format!("The field `{name}` is empty."),
            )),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Reply::fail(
                status::INVALID_REQUEST_FIELD_TYPE,
                format!("The field `{name}` must be a string."),
            )),
        }
    }

    pub fn str(&self, name: &str) -> Result<&'a str, Reply> {
        self.opt_str(name)?.ok_or_else(|| self.missing(name))
    }

    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, Reply> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(Reply::fail(
                status::INVALID_REQUEST_FIELD_TYPE,
                format!("The field `{name}` must be a boolean."),
            )),
        }
    }

    pub fn bool(&self, name: &str) -> Result<bool, Reply> {
        self.opt_bool(name)?.ok_or_else(|| self.missing(name))
    }

    /// A number within `min..=max`.
    pub fn opt_num(&self, name: &str, min: f64, max: f64) -> Result<Option<f64>, Reply> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                let v = n.as_f64().unwrap_or(f64::NAN);
                if (min..=max).contains(&v) {
                    Ok(Some(v))
                } else {
                    Err(Reply::fail(
                        status::REQUEST_FIELD_OUT_OF_RANGE,
                        format!("The field `{name}` is {v}: use {min} to {max}."),
                    ))
                }
            }
            Some(_) => Err(Reply::fail(
                status::INVALID_REQUEST_FIELD_TYPE,
                format!("The field `{name}` must be a number."),
            )),
        }
    }

    pub fn num(&self, name: &str, min: f64, max: f64) -> Result<f64, Reply> {
        self.opt_num(name, min, max)?.ok_or_else(|| self.missing(name))
    }

    pub fn opt_object(&self, name: &str) -> Result<Option<&'a Map<String, Value>>, Reply> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(_) => Err(Reply::fail(
                status::INVALID_REQUEST_FIELD_TYPE,
                format!("The field `{name}` must be an object."),
            )),
        }
    }

    pub fn object(&self, name: &str) -> Result<&'a Map<String, Value>, Reply> {
        self.opt_object(name)?.ok_or_else(|| self.missing(name))
    }

    /// One of a name/UUID pair (`sceneName`/`sceneUuid`): the name, or the
    /// name whose UUID matches, found by `lookup`.
    pub fn name_or_uuid(
        &self,
        name_field: &str,
        uuid_field: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<String, Reply> {
        if let Some(u) = self.opt_str(uuid_field)? {
            return lookup(u).ok_or_else(|| {
                Reply::fail(
                    status::RESOURCE_NOT_FOUND,
                    format!("Nothing was found by that `{uuid_field}`."),
                )
            });
        }
        match self.opt_str(name_field)? {
            Some(n) => Ok(n.to_string()),
            None => Err(match self.data {
                None => self.missing(name_field),
                Some(_) => Reply::fail(
                    status::MISSING_REQUEST_FIELD,
                    format!("Your request is missing `{name_field}` (or `{uuid_field}`)."),
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_answer_the_protocols_codes() {
        let data = json!({"a": "x", "e": "", "n": 5, "b": true, "z": null});
        let map = data.as_object().unwrap();
        let args = Args::new(Some(map));
        assert_eq!(args.str("a").unwrap(), "x");
        assert_eq!(args.str("e").unwrap_err().code, status::REQUEST_FIELD_EMPTY);
        assert_eq!(args.str("n").unwrap_err().code, status::INVALID_REQUEST_FIELD_TYPE);
        assert_eq!(args.str("z").unwrap_err().code, status::MISSING_REQUEST_FIELD);
        assert_eq!(
            args.num("n", 0.0, 4.0).unwrap_err().code,
            status::REQUEST_FIELD_OUT_OF_RANGE
        );
        assert!(args.bool("b").unwrap());
        assert_eq!(Args::new(None).str("a").unwrap_err().code, status::MISSING_REQUEST_DATA);
        let err = args.str("missing").unwrap_err();
        assert!(err.comment.unwrap().contains("`missing`"));
    }
}
