//! `-D COMMAND NAME VALUE…`: MQTT 5.0 properties on the command line, spelled as mosquitto's
//! clients spell them.

use bytes::Bytes;
use switchboard_mqtt::codec::{ByteStr, Property};

/// Where a `-D` property goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Connect,
    Publish,
    Subscribe,
    Unsubscribe,
    Disconnect,
    Will,
}

/// Properties given with `-D`, sorted by the packet they go in.
#[derive(Debug, Clone, Default)]
pub(crate) struct CliProperties {
    pub(crate) items: Vec<(Target, Property)>,
}

impl CliProperties {
    /// The Session Expiry Interval given for DISCONNECT (`-D disconnect session-expiry-interval`).
    pub(crate) fn disconnect_session_expiry(&self) -> Option<u32> {
        self.for_target(Target::Disconnect).find_map(|p| match p {
            Property::SessionExpiryInterval(e) => Some(*e),
            _ => None,
        })
    }

    /// The properties for one packet.
    pub(crate) fn for_target(&self, target: Target) -> impl Iterator<Item = &Property> {
        self.items
            .iter()
            .filter(move |(t, _)| *t == target)
            .map(|(_, p)| p)
    }
}

/// Parses the words of every `-D` (clap hands them over flattened): three per property,
/// four for user-property, which takes a name and a value.
pub(crate) fn parse(words: &[String]) -> Result<CliProperties, String> {
    let mut out = CliProperties::default();
    let mut rest = words;
    while !rest.is_empty() {
        let n = if rest.get(1).is_some_and(|w| w == "user-property") {
            4
        } else {
            3
        };
        let (one, tail) = rest.split_at(n.min(rest.len()));
        let (target, prop) = parse_one(one)?;
        out.items.push((target, prop));
        rest = tail;
    }
    Ok(out)
}

fn parse_one(words: &[String]) -> Result<(Target, Property), String> {
    let [command, name, rest @ ..] = words else {
        return Err("-D needs COMMAND NAME VALUE".to_string());
    };
    let target = match command.as_str() {
        "connect" => Target::Connect,
        "publish" => Target::Publish,
        "subscribe" => Target::Subscribe,
        "unsubscribe" => Target::Unsubscribe,
        "disconnect" => Target::Disconnect,
        "will" => Target::Will,
        other => {
            return Err(format!(
                "-D: unknown command {other:?} (connect, publish, subscribe, unsubscribe, \
                 disconnect or will)"
            ))
        }
    };
    let one = |rest: &[String]| -> Result<String, String> {
        match rest {
            [v] => Ok(v.clone()),
            _ => Err(format!("-D {command} {name}: needs exactly one value")),
        }
    };
    let int = |max: u64| -> Result<u64, String> {
        let v = one(rest)?;
        let n: u64 = v
            .parse()
            .map_err(|_| format!("-D {command} {name}: {v:?} is not a number"))?;
        if n > max {
            return Err(format!(
                "-D {command} {name}: {n} is above the maximum {max}"
            ));
        }
        Ok(n)
    };
    let text = || -> Result<ByteStr, String> { Ok(ByteStr::from(one(rest)?)) };
    let p = match name.as_str() {
        "payload-format-indicator" => Property::PayloadFormatIndicator(int(1)? as u8),
        "message-expiry-interval" => Property::MessageExpiryInterval(int(u32::MAX.into())? as u32),
        "content-type" => Property::ContentType(text()?),
        "response-topic" => Property::ResponseTopic(text()?),
        "correlation-data" => Property::CorrelationData(Bytes::from(one(rest)?)),
        "subscription-identifier" => Property::SubscriptionIdentifier(int(268_435_455)? as u32),
        "session-expiry-interval" => Property::SessionExpiryInterval(int(u32::MAX.into())? as u32),
        "authentication-method" => Property::AuthenticationMethod(text()?),
        "authentication-data" => Property::AuthenticationData(Bytes::from(one(rest)?)),
        "request-problem-information" => Property::RequestProblemInformation(int(1)? as u8),
        "will-delay-interval" => Property::WillDelayInterval(int(u32::MAX.into())? as u32),
        "request-response-information" => Property::RequestResponseInformation(int(1)? as u8),
        "receive-maximum" => Property::ReceiveMaximum(int(65_535)? as u16),
        "topic-alias-maximum" => Property::TopicAliasMaximum(int(65_535)? as u16),
        "topic-alias" => Property::TopicAlias(int(65_535)? as u16),
        "maximum-packet-size" => Property::MaximumPacketSize(int(u32::MAX.into())? as u32),
        "reason-string" => Property::ReasonString(text()?),
        "user-property" => match rest {
            [k, v] => Property::UserProperty(ByteStr::from(k.clone()), ByteStr::from(v.clone())),
            _ => {
                return Err(format!(
                    "-D {command} user-property: needs a NAME and a VALUE"
                ))
            }
        },
        other => return Err(format!("-D {command}: unknown property {other:?}")),
    };
    let allowed = match target {
        Target::Connect => matches!(
            p,
            Property::SessionExpiryInterval(_)
                | Property::AuthenticationMethod(_)
                | Property::AuthenticationData(_)
                | Property::RequestProblemInformation(_)
                | Property::RequestResponseInformation(_)
                | Property::ReceiveMaximum(_)
                | Property::TopicAliasMaximum(_)
                | Property::MaximumPacketSize(_)
                | Property::UserProperty(..)
        ),
        Target::Publish => matches!(
            p,
            Property::PayloadFormatIndicator(_)
                | Property::MessageExpiryInterval(_)
                | Property::ContentType(_)
                | Property::ResponseTopic(_)
                | Property::CorrelationData(_)
                | Property::UserProperty(..)
        ),
        Target::Will => matches!(
            p,
            Property::PayloadFormatIndicator(_)
                | Property::MessageExpiryInterval(_)
                | Property::ContentType(_)
                | Property::ResponseTopic(_)
                | Property::CorrelationData(_)
                | Property::WillDelayInterval(_)
                | Property::UserProperty(..)
        ),
        Target::Subscribe => {
            matches!(
                p,
                Property::SubscriptionIdentifier(_) | Property::UserProperty(..)
            )
        }
        Target::Unsubscribe => matches!(p, Property::UserProperty(..)),
        Target::Disconnect => matches!(p, Property::SessionExpiryInterval(_)),
    };
    if !allowed {
        let why = if name == "topic-alias" {
            " (topic aliases are assigned automatically when the broker allows them)"
        } else {
            ""
        };
        return Err(format!("-D: {name} is not allowed with {command}{why}"));
    }
    Ok((target, p))
}

#[cfg(test)]
// Tests report a failed expectation by panicking.
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn parses_mosquitto_spellings() {
        let p = parse(&words(
            "publish user-property a b connect session-expiry-interval 60 \
             publish content-type text/plain",
        ))
        .unwrap();
        assert_eq!(p.for_target(Target::Publish).count(), 2);
        assert_eq!(
            p.for_target(Target::Connect).next(),
            Some(&Property::SessionExpiryInterval(60))
        );
    }

    #[test]
    fn refuses_clearly() {
        let err = |s: &str| parse(&words(s)).unwrap_err();
        assert!(err("publish topic-alias 3").contains("automatically"));
        assert!(err("connect receive-maximum 70000").contains("maximum"));
        assert!(err("bogus content-type x").contains("unknown command"));
        assert!(err("publish user-property a").contains("NAME and a VALUE"));
        assert!(err("connect content-type x").contains("not allowed"));
    }
}
