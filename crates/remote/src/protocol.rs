//! obs-websocket 5.x as specified (docs/generated/protocol.md in
//! obsproject/obs-websocket): the envelope, op codes, close codes, request
//! statuses and event subscriptions, and the two encodings.
//!
//! Messages are handled as `serde_json::Value` on both encodings: the
//! MessagePack subprotocol is the same objects, written in binary frames.

use serde_json::{Value, json};

/// The RPC version of every obs-websocket 5.x release.
pub const RPC_VERSION: u64 = 1;
/// The obs-websocket release whose requests and events we answer like.
pub const OBS_WEBSOCKET_VERSION: &str = "5.5.0";
/// The OBS Studio release those shipped with. Controllers check it
/// (obws wants 30.2 or newer); what answers is in GetVersion's
/// `platformDescription` ("Showroom 0.1.0 ...").
pub const OBS_VERSION: &str = "30.2.0";

pub const JSON_PROTOCOL: &str = "obswebsocket.json";
pub const MSGPACK_PROTOCOL: &str = "obswebsocket.msgpack";

/// `op` of each message.
pub mod op {
    pub const HELLO: u64 = 0;
    pub const IDENTIFY: u64 = 1;
    pub const IDENTIFIED: u64 = 2;
    pub const REIDENTIFY: u64 = 3;
    pub const EVENT: u64 = 5;
    pub const REQUEST: u64 = 6;
    pub const REQUEST_RESPONSE: u64 = 7;
    pub const REQUEST_BATCH: u64 = 8;
    pub const REQUEST_BATCH_RESPONSE: u64 = 9;
}

/// WebSocketCloseCode.
pub mod close {
    pub const UNKNOWN_REASON: u16 = 4000;
    pub const MESSAGE_DECODE_ERROR: u16 = 4002;
    pub const MISSING_DATA_FIELD: u16 = 4003;
    pub const INVALID_DATA_FIELD_TYPE: u16 = 4004;
    pub const INVALID_DATA_FIELD_VALUE: u16 = 4005;
    pub const UNKNOWN_OP_CODE: u16 = 4006;
    pub const NOT_IDENTIFIED: u16 = 4007;
    pub const ALREADY_IDENTIFIED: u16 = 4008;
    pub const AUTHENTICATION_FAILED: u16 = 4009;
    pub const UNSUPPORTED_RPC_VERSION: u16 = 4010;
    pub const SESSION_INVALIDATED: u16 = 4011;
    pub const UNSUPPORTED_FEATURE: u16 = 4012;
}

/// RequestStatus codes.
pub mod status {
    pub const SUCCESS: u16 = 100;
    pub const MISSING_REQUEST_TYPE: u16 = 203;
    pub const UNKNOWN_REQUEST_TYPE: u16 = 204;
    pub const GENERIC_ERROR: u16 = 205;
    pub const UNSUPPORTED_REQUEST_BATCH_EXECUTION_TYPE: u16 = 206;
    pub const NOT_READY: u16 = 207;
    pub const MISSING_REQUEST_FIELD: u16 = 300;
    pub const MISSING_REQUEST_DATA: u16 = 301;
    pub const INVALID_REQUEST_FIELD: u16 = 400;
    pub const INVALID_REQUEST_FIELD_TYPE: u16 = 401;
    pub const REQUEST_FIELD_OUT_OF_RANGE: u16 = 402;
    pub const REQUEST_FIELD_EMPTY: u16 = 403;
    pub const TOO_MANY_REQUEST_FIELDS: u16 = 404;
    pub const OUTPUT_RUNNING: u16 = 500;
    pub const OUTPUT_NOT_RUNNING: u16 = 501;
    pub const STUDIO_MODE_NOT_ACTIVE: u16 = 506;
    pub const RESOURCE_NOT_FOUND: u16 = 600;
    pub const INVALID_RESOURCE_STATE: u16 = 604;
    pub const RESOURCE_ACTION_FAILED: u16 = 701;
    pub const REQUEST_PROCESSING_FAILED: u16 = 702;
    pub const CANNOT_ACT: u16 = 703;
}

/// EventSubscription bits.
pub mod subs {
    pub const GENERAL: u64 = 1 << 0;
    pub const CONFIG: u64 = 1 << 1;
    pub const SCENES: u64 = 1 << 2;
    pub const INPUTS: u64 = 1 << 3;
    pub const TRANSITIONS: u64 = 1 << 4;
    pub const FILTERS: u64 = 1 << 5;
    pub const OUTPUTS: u64 = 1 << 6;
    pub const SCENE_ITEMS: u64 = 1 << 7;
    pub const MEDIA_INPUTS: u64 = 1 << 8;
    pub const VENDORS: u64 = 1 << 9;
    pub const UI: u64 = 1 << 10;
    pub const CANVASES: u64 = 1 << 11;
    /// Every event that is not high-volume (5.7's value; clients built for
    /// earlier releases send 2047, which lacks only `CANVASES`).
    pub const ALL: u64 = (1 << 12) - 1;
    pub const INPUT_VOLUME_METERS: u64 = 1 << 16;
    pub const INPUT_ACTIVE_STATE_CHANGED: u64 = 1 << 17;
    pub const INPUT_SHOW_STATE_CHANGED: u64 = 1 << 18;
    pub const SCENE_ITEM_TRANSFORM_CHANGED: u64 = 1 << 19;
}

/// How a session's messages are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Text frames of JSON (also when the client asked for no subprotocol).
    Json,
    /// Binary frames of MessagePack.
    MsgPack,
}

impl Encoding {
    pub fn from_protocol(p: Option<&str>) -> Encoding {
        match p {
            Some(MSGPACK_PROTOCOL) => Encoding::MsgPack,
            _ => Encoding::Json,
        }
    }
}

/// A message that could not be read: the close code and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub code: u16,
    pub reason: String,
}

impl Fault {
    pub fn new(code: u16, reason: impl Into<String>) -> Fault {
        Fault {
            code,
            reason: reason.into(),
        }
    }
}

/// Reads one frame in the session's encoding into `(op, d)`.
pub fn decode(encoding: Encoding, frame: Frame<'_>) -> Result<(u64, serde_json::Map<String, Value>), Fault> {
    let value: Value = match (encoding, frame) {
        (Encoding::Json, Frame::Text(t)) => serde_json::from_str(t)
            .map_err(|e| Fault::new(close::MESSAGE_DECODE_ERROR, format!("the message is not JSON: {e}")))?,
        (Encoding::MsgPack, Frame::Binary(b)) => rmp_serde::from_slice(b).map_err(|e| {
            Fault::new(
                close::MESSAGE_DECODE_ERROR,
                format!("the message is not MessagePack (or has keys that are not strings): {e}"),
            )
        })?,
        (Encoding::Json, Frame::Binary(_)) => {
            return Err(Fault::new(
                close::MESSAGE_DECODE_ERROR,
                "a binary frame in a JSON session: send text frames (or connect with obswebsocket.msgpack)",
            ));
        }
        (Encoding::MsgPack, Frame::Text(_)) => {
            return Err(Fault::new(
                close::MESSAGE_DECODE_ERROR,
                "a text frame in a MessagePack session: send binary frames",
            ));
        }
    };
    let Value::Object(mut message) = value else {
        return Err(Fault::new(close::MESSAGE_DECODE_ERROR, "the message is not an object"));
    };
    let op = match message.get("op") {
        None => return Err(Fault::new(close::UNKNOWN_OP_CODE, "the message has no `op` field")),
        Some(v) => v
            .as_u64()
            .ok_or_else(|| Fault::new(close::UNKNOWN_OP_CODE, "`op` is not a whole number"))?,
    };
    let d = match message.remove("d") {
        None | Some(Value::Null) => {
            return Err(Fault::new(close::MISSING_DATA_FIELD, "the message has no `d` field"));
        }
        Some(Value::Object(d)) => d,
        Some(_) => return Err(Fault::new(close::INVALID_DATA_FIELD_TYPE, "`d` is not an object")),
    };
    Ok((op, d))
}

/// One frame as it came.
#[derive(Debug, Clone, Copy)]
pub enum Frame<'a> {
    Text(&'a str),
    Binary(&'a [u8]),
}

/// A frame to send: text for JSON, binary for MessagePack.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    Text(String),
    Binary(Vec<u8>),
}

/// Writes `{op, d}` in the session's encoding.
pub fn encode(encoding: Encoding, op: u64, d: Value) -> Out {
    let message = json!({ "op": op, "d": d });
    match encoding {
        Encoding::Json => Out::Text(message.to_string()),
        // Maps with string keys: what obs-websocket-js's decoder expects.
        Encoding::MsgPack => Out::Binary(rmp_serde::to_vec_named(&message).unwrap_or_default()),
    }
}

/// `requestStatus` of a response.
pub fn request_status(code: u16, comment: Option<&str>) -> Value {
    let mut s = json!({ "result": code == status::SUCCESS, "code": code });
    if let Some(c) = comment {
        s["comment"] = json!(c);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_decode_in_their_own_encoding_only() {
        let (op, d) = decode(Encoding::Json, Frame::Text(r#"{"op":1,"d":{"rpcVersion":1}}"#)).unwrap();
        assert_eq!((op, d["rpcVersion"].as_u64()), (1, Some(1)));
        let packed = match encode(
            Encoding::MsgPack,
            6,
            json!({"requestType": "GetVersion", "requestId": "a"}),
        ) {
            Out::Binary(b) => b,
            Out::Text(_) => unreachable!(),
        };
        let (op, d) = decode(Encoding::MsgPack, Frame::Binary(&packed)).unwrap();
        assert_eq!((op, d["requestType"].as_str()), (6, Some("GetVersion")));
        for (enc, frame, code) in [
            (Encoding::Json, Frame::Text("{"), close::MESSAGE_DECODE_ERROR),
            (Encoding::Json, Frame::Text("[1]"), close::MESSAGE_DECODE_ERROR),
            (Encoding::Json, Frame::Text(r#"{"d":{}}"#), close::UNKNOWN_OP_CODE),
            (
                Encoding::Json,
                Frame::Text(r#"{"op":"x","d":{}}"#),
                close::UNKNOWN_OP_CODE,
            ),
            (Encoding::Json, Frame::Text(r#"{"op":6}"#), close::MISSING_DATA_FIELD),
            (
                Encoding::Json,
                Frame::Text(r#"{"op":6,"d":3}"#),
                close::INVALID_DATA_FIELD_TYPE,
            ),
            (Encoding::Json, Frame::Binary(&packed), close::MESSAGE_DECODE_ERROR),
            (Encoding::MsgPack, Frame::Text("{}"), close::MESSAGE_DECODE_ERROR),
            (Encoding::MsgPack, Frame::Binary(&[0xc1]), close::MESSAGE_DECODE_ERROR),
        ] {
            assert_eq!(decode(enc, frame).unwrap_err().code, code, "{frame:?}");
        }
    }

    #[test]
    fn status_result_is_true_for_success_only() {
        assert_eq!(request_status(100, None), json!({"result": true, "code": 100}));
        assert_eq!(
            request_status(204, Some("no")),
            json!({"result": false, "code": 204, "comment": "no"})
        );
    }
}
