//! MQTT 5.0 properties: every identifier, its type, the packets it may appear in, and the
//! range rules on its value.

use super::error::{DecodeError, EncodeError};
use super::header::PacketType;
use super::read::Reader;
use super::strings::{is_ascii_without_nul, ByteStr};
use super::write::{check_string, prefixed_len, put_prefixed, put_var_int, var_int_len};
use super::MAX_VARIABLE_BYTE_INTEGER;
use bytes::{BufMut, Bytes, BytesMut};
use std::fmt;
use std::sync::OnceLock;

/// Where properties sit: a packet type, or the Will Properties of CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Packet(PacketType),
    Will,
}

impl Place {
    const fn mask(self) -> u32 {
        match self {
            Place::Packet(p) => 1 << (p as u32),
            Place::Will => 1,
        }
    }

    pub(crate) const fn name(self) -> &'static str {
        match self {
            Place::Packet(p) => p.name(),
            Place::Will => "Will Properties",
        }
    }
}

const fn m(p: PacketType) -> u32 {
    1 << (p as u32)
}
const WILL: u32 = 1;
const CONNECT: u32 = m(PacketType::Connect);
const CONNACK: u32 = m(PacketType::ConnAck);
const PUBLISH: u32 = m(PacketType::Publish);
const SUBSCRIBE: u32 = m(PacketType::Subscribe);
const DISCONNECT: u32 = m(PacketType::Disconnect);
const AUTH: u32 = m(PacketType::Auth);
const ACKS: u32 = m(PacketType::PubAck)
    | m(PacketType::PubRec)
    | m(PacketType::PubRel)
    | m(PacketType::PubComp)
    | m(PacketType::SubAck)
    | m(PacketType::UnsubAck);
const ALL: u32 = 0xffff;

/// How a property's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    U16,
    NonZeroU16,
    U32,
    NonZeroU32,
    SubscriptionId,
    Str,
    Bin,
    Pair,
}

macro_rules! property_ids {
    ($($variant:ident = $id:literal, $name:literal, $kind:ident, $places:expr;)*) => {
        /// A property identifier (MQTT 5.0 section 2.2.2.2).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum PropertyId {
            $(
                #[doc = concat!($name, " (", stringify!($id), ")")]
                $variant = $id,
            )*
        }

        impl PropertyId {
            /// The property for an identifier byte, if the spec defines one.
            pub const fn from_u8(id: u8) -> Option<PropertyId> {
                match id {
                    $($id => Some(PropertyId::$variant),)*
                    _ => None,
                }
            }

            /// The property's name as the spec writes it.
            pub const fn name(self) -> &'static str {
                match self {
                    $(PropertyId::$variant => $name,)*
                }
            }

            const fn kind(self) -> Kind {
                match self {
                    $(PropertyId::$variant => Kind::$kind,)*
                }
            }

            const fn places(self) -> u32 {
                match self {
                    $(PropertyId::$variant => $places,)*
                }
            }
        }
    };
}

property_ids! {
    PayloadFormatIndicator = 0x01, "Payload Format Indicator", Bool, PUBLISH | WILL;
    MessageExpiryInterval = 0x02, "Message Expiry Interval", U32, PUBLISH | WILL;
    ContentType = 0x03, "Content Type", Str, PUBLISH | WILL;
    ResponseTopic = 0x08, "Response Topic", Str, PUBLISH | WILL;
    CorrelationData = 0x09, "Correlation Data", Bin, PUBLISH | WILL;
    SubscriptionIdentifier = 0x0B, "Subscription Identifier", SubscriptionId, PUBLISH | SUBSCRIBE;
    SessionExpiryInterval = 0x11, "Session Expiry Interval", U32, CONNECT | CONNACK | DISCONNECT;
    AssignedClientIdentifier = 0x12, "Assigned Client Identifier", Str, CONNACK;
    ServerKeepAlive = 0x13, "Server Keep Alive", U16, CONNACK;
    AuthenticationMethod = 0x15, "Authentication Method", Str, CONNECT | CONNACK | AUTH;
    AuthenticationData = 0x16, "Authentication Data", Bin, CONNECT | CONNACK | AUTH;
    RequestProblemInformation = 0x17, "Request Problem Information", Bool, CONNECT;
    WillDelayInterval = 0x18, "Will Delay Interval", U32, WILL;
    RequestResponseInformation = 0x19, "Request Response Information", Bool, CONNECT;
    ResponseInformation = 0x1A, "Response Information", Str, CONNACK;
    ServerReference = 0x1C, "Server Reference", Str, CONNACK | DISCONNECT;
    ReasonString = 0x1F, "Reason String", Str, CONNACK | ACKS | DISCONNECT | AUTH;
    ReceiveMaximum = 0x21, "Receive Maximum", NonZeroU16, CONNECT | CONNACK;
    TopicAliasMaximum = 0x22, "Topic Alias Maximum", U16, CONNECT | CONNACK;
    TopicAlias = 0x23, "Topic Alias", NonZeroU16, PUBLISH;
    MaximumQoS = 0x24, "Maximum QoS", Bool, CONNACK;
    RetainAvailable = 0x25, "Retain Available", Bool, CONNACK;
    UserProperty = 0x26, "User Property", Pair, ALL;
    MaximumPacketSize = 0x27, "Maximum Packet Size", NonZeroU32, CONNECT | CONNACK;
    WildcardSubscriptionAvailable = 0x28, "Wildcard Subscription Available", Bool, CONNACK;
    SubscriptionIdentifierAvailable = 0x29, "Subscription Identifier Available", Bool, CONNACK;
    SharedSubscriptionAvailable = 0x2A, "Shared Subscription Available", Bool, CONNACK;
}

impl PropertyId {
    /// Whether the property may appear more than once where it is allowed.
    pub const fn repeatable(self) -> bool {
        matches!(
            self,
            PropertyId::UserProperty | PropertyId::SubscriptionIdentifier
        )
    }
}

/// One property with its value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)] // each variant is the property of the same name in MQTT 5.0 section 3
pub enum Property {
    PayloadFormatIndicator(u8),
    MessageExpiryInterval(u32),
    ContentType(ByteStr),
    ResponseTopic(ByteStr),
    CorrelationData(Bytes),
    SubscriptionIdentifier(u32),
    SessionExpiryInterval(u32),
    AssignedClientIdentifier(ByteStr),
    ServerKeepAlive(u16),
    AuthenticationMethod(ByteStr),
    AuthenticationData(Bytes),
    RequestProblemInformation(u8),
    WillDelayInterval(u32),
    RequestResponseInformation(u8),
    ResponseInformation(ByteStr),
    ServerReference(ByteStr),
    ReasonString(ByteStr),
    ReceiveMaximum(u16),
    TopicAliasMaximum(u16),
    TopicAlias(u16),
    MaximumQoS(u8),
    RetainAvailable(u8),
    UserProperty(ByteStr, ByteStr),
    MaximumPacketSize(u32),
    WildcardSubscriptionAvailable(u8),
    SubscriptionIdentifierAvailable(u8),
    SharedSubscriptionAvailable(u8),
}

/// A property value, type-erased for reading and writing.
enum Value<'a> {
    Int(u32),
    Str(&'a ByteStr),
    Bin(&'a Bytes),
    Pair(&'a ByteStr, &'a ByteStr),
}

impl Property {
    /// The property's identifier.
    pub const fn id(&self) -> PropertyId {
        use Property as P;
        use PropertyId as I;
        match self {
            P::PayloadFormatIndicator(_) => I::PayloadFormatIndicator,
            P::MessageExpiryInterval(_) => I::MessageExpiryInterval,
            P::ContentType(_) => I::ContentType,
            P::ResponseTopic(_) => I::ResponseTopic,
            P::CorrelationData(_) => I::CorrelationData,
            P::SubscriptionIdentifier(_) => I::SubscriptionIdentifier,
            P::SessionExpiryInterval(_) => I::SessionExpiryInterval,
            P::AssignedClientIdentifier(_) => I::AssignedClientIdentifier,
            P::ServerKeepAlive(_) => I::ServerKeepAlive,
            P::AuthenticationMethod(_) => I::AuthenticationMethod,
            P::AuthenticationData(_) => I::AuthenticationData,
            P::RequestProblemInformation(_) => I::RequestProblemInformation,
            P::WillDelayInterval(_) => I::WillDelayInterval,
            P::RequestResponseInformation(_) => I::RequestResponseInformation,
            P::ResponseInformation(_) => I::ResponseInformation,
            P::ServerReference(_) => I::ServerReference,
            P::ReasonString(_) => I::ReasonString,
            P::ReceiveMaximum(_) => I::ReceiveMaximum,
            P::TopicAliasMaximum(_) => I::TopicAliasMaximum,
            P::TopicAlias(_) => I::TopicAlias,
            P::MaximumQoS(_) => I::MaximumQoS,
            P::RetainAvailable(_) => I::RetainAvailable,
            P::UserProperty(_, _) => I::UserProperty,
            P::MaximumPacketSize(_) => I::MaximumPacketSize,
            P::WildcardSubscriptionAvailable(_) => I::WildcardSubscriptionAvailable,
            P::SubscriptionIdentifierAvailable(_) => I::SubscriptionIdentifierAvailable,
            P::SharedSubscriptionAvailable(_) => I::SharedSubscriptionAvailable,
        }
    }

    fn value(&self) -> Value<'_> {
        use Property as P;
        match self {
            P::PayloadFormatIndicator(v)
            | P::RequestProblemInformation(v)
            | P::RequestResponseInformation(v)
            | P::MaximumQoS(v)
            | P::RetainAvailable(v)
            | P::WildcardSubscriptionAvailable(v)
            | P::SubscriptionIdentifierAvailable(v)
            | P::SharedSubscriptionAvailable(v) => Value::Int(u32::from(*v)),
            P::ServerKeepAlive(v)
            | P::ReceiveMaximum(v)
            | P::TopicAliasMaximum(v)
            | P::TopicAlias(v) => Value::Int(u32::from(*v)),
            P::MessageExpiryInterval(v)
            | P::SubscriptionIdentifier(v)
            | P::SessionExpiryInterval(v)
            | P::WillDelayInterval(v)
            | P::MaximumPacketSize(v) => Value::Int(*v),
            P::ContentType(s)
            | P::ResponseTopic(s)
            | P::AssignedClientIdentifier(s)
            | P::AuthenticationMethod(s)
            | P::ResponseInformation(s)
            | P::ServerReference(s)
            | P::ReasonString(s) => Value::Str(s),
            P::CorrelationData(b) | P::AuthenticationData(b) => Value::Bin(b),
            P::UserProperty(k, v) => Value::Pair(k, v),
        }
    }

    /// Whether `v` is in range for an integer property of this kind.
    fn int_in_range(kind: Kind, v: u32) -> bool {
        match kind {
            Kind::Bool => v <= 1,
            Kind::U16 => v <= 0xffff,
            Kind::NonZeroU16 => (1..=0xffff).contains(&v),
            Kind::U32 => true,
            Kind::NonZeroU32 => v != 0,
            Kind::SubscriptionId => (1..=MAX_VARIABLE_BYTE_INTEGER).contains(&v),
            Kind::Str | Kind::Bin | Kind::Pair => false,
        }
    }

    /// Bytes the property takes on the wire, identifier included; checks what it can.
    fn encoded_len(&self) -> Result<usize, EncodeError> {
        let id = self.id();
        let kind = id.kind();
        Ok(1 + match self.value() {
            Value::Int(v) => {
                if !Property::int_in_range(kind, v) {
                    return Err(EncodeError::InvalidPropertyValue(id));
                }
                match kind {
                    Kind::Bool => 1,
                    Kind::U16 | Kind::NonZeroU16 => 2,
                    Kind::SubscriptionId => var_int_len(v as usize),
                    _ => 4,
                }
            }
            Value::Str(s) => check_string(s, id.name())?,
            Value::Bin(b) => prefixed_len(b.len(), id.name())?,
            Value::Pair(k, v) => check_string(k, id.name())? + check_string(v, id.name())?,
        })
    }

    /// Writes the property; `encoded_len` must have accepted it. One match on the variant,
    /// each arm a straight line of writes.
    #[inline]
    fn write(&self, buf: &mut BytesMut) {
        use Property as P;
        use PropertyId as I;
        fn byte(buf: &mut BytesMut, id: PropertyId, v: u8) {
            buf.put_slice(&[id as u8, v]);
        }
        fn short(buf: &mut BytesMut, id: PropertyId, v: u16) {
            let [a, b] = v.to_be_bytes();
            buf.put_slice(&[id as u8, a, b]);
        }
        fn long(buf: &mut BytesMut, id: PropertyId, v: u32) {
            let [a, b, c, d] = v.to_be_bytes();
            buf.put_slice(&[id as u8, a, b, c, d]);
        }
        fn bin(buf: &mut BytesMut, id: PropertyId, v: &[u8]) {
            let [a, b] = (v.len() as u16).to_be_bytes();
            buf.put_slice(&[id as u8, a, b]);
            buf.put_slice(v);
        }
        match self {
            P::PayloadFormatIndicator(v) => byte(buf, I::PayloadFormatIndicator, *v),
            P::MessageExpiryInterval(v) => long(buf, I::MessageExpiryInterval, *v),
            P::ContentType(s) => bin(buf, I::ContentType, s.as_bytes()),
            P::ResponseTopic(s) => bin(buf, I::ResponseTopic, s.as_bytes()),
            P::CorrelationData(b) => bin(buf, I::CorrelationData, b),
            P::SubscriptionIdentifier(v) => {
                buf.put_u8(I::SubscriptionIdentifier as u8);
                put_var_int(buf, *v as usize);
            }
            P::SessionExpiryInterval(v) => long(buf, I::SessionExpiryInterval, *v),
            P::AssignedClientIdentifier(s) => bin(buf, I::AssignedClientIdentifier, s.as_bytes()),
            P::ServerKeepAlive(v) => short(buf, I::ServerKeepAlive, *v),
            P::AuthenticationMethod(s) => bin(buf, I::AuthenticationMethod, s.as_bytes()),
            P::AuthenticationData(b) => bin(buf, I::AuthenticationData, b),
            P::RequestProblemInformation(v) => byte(buf, I::RequestProblemInformation, *v),
            P::WillDelayInterval(v) => long(buf, I::WillDelayInterval, *v),
            P::RequestResponseInformation(v) => byte(buf, I::RequestResponseInformation, *v),
            P::ResponseInformation(s) => bin(buf, I::ResponseInformation, s.as_bytes()),
            P::ServerReference(s) => bin(buf, I::ServerReference, s.as_bytes()),
            P::ReasonString(s) => bin(buf, I::ReasonString, s.as_bytes()),
            P::ReceiveMaximum(v) => short(buf, I::ReceiveMaximum, *v),
            P::TopicAliasMaximum(v) => short(buf, I::TopicAliasMaximum, *v),
            P::TopicAlias(v) => short(buf, I::TopicAlias, *v),
            P::MaximumQoS(v) => byte(buf, I::MaximumQoS, *v),
            P::RetainAvailable(v) => byte(buf, I::RetainAvailable, *v),
            P::UserProperty(k, v) => {
                bin(buf, I::UserProperty, k.as_bytes());
                put_prefixed(buf, v.as_bytes());
            }
            P::MaximumPacketSize(v) => long(buf, I::MaximumPacketSize, *v),
            P::WildcardSubscriptionAvailable(v) => byte(buf, I::WildcardSubscriptionAvailable, *v),
            P::SubscriptionIdentifierAvailable(v) => {
                byte(buf, I::SubscriptionIdentifierAvailable, *v)
            }
            P::SharedSubscriptionAvailable(v) => byte(buf, I::SharedSubscriptionAvailable, *v),
        }
    }
}

/// The properties of a packet, in the order they appear on the wire (so a decoded packet
/// re-encodes byte for byte). Empty costs no allocation.
///
/// Decoded properties are checked against every rule when the packet is decoded, and kept as
/// those checked bytes: they become [`Property`] values only when first looked at (most
/// receivers look at few or none, and the summary below answers "is there a Topic Alias?"
/// without parsing), and a decoded packet sent on unchanged writes them with one copy.
///
/// Alongside the list it keeps, up to date on every change, what encoding needs to know:
/// which identifiers are present, which appear more than once, whether every value is in
/// range and every string sendable, and the bytes they take on the wire. Checking that the
/// properties may be sent in a packet, and sizing them, is then a few bit operations.
#[derive(Clone, Default)]
pub struct Properties(Option<Box<Inner>>);

/// Non-empty properties, behind one pointer: most packets carry none, and every packet
/// type holds a `Properties`, so the empty case is one null word to build, move and drop.
#[derive(Clone, Default)]
struct Inner {
    /// Built in code, or parsed from `wire` and changed since. Empty while `wire` is set.
    list: Vec<Property>,
    /// Decoded and unchanged since: the checked bytes, which are the encoding.
    wire: Option<Bytes>,
    /// The parse of `wire`, once asked for.
    parsed: OnceLock<Vec<Property>>,
    /// Bit `id` set when a property with identifier `id` is present.
    present: u64,
    /// Bit `id` set when that identifier is present more than once.
    repeated: u64,
    /// The bytes the valid properties take on the wire, identifiers included.
    len: u32,
    /// Whether some value is out of range, or some string or binary cannot be sent.
    invalid: bool,
}

impl Inner {
    /// Adds one property (about to be appended) to the summary.
    fn note(&mut self, p: &Property) {
        let b = bit(p.id());
        self.repeated |= self.present & b;
        self.present |= b;
        match p.encoded_len().map(u32::try_from) {
            Ok(Ok(n)) => self.len = self.len.saturating_add(n),
            _ => self.invalid = true,
        }
    }
}

impl PartialEq for Properties {
    fn eq(&self, other: &Properties) -> bool {
        self.list() == other.list()
    }
}

impl Eq for Properties {}

impl fmt::Debug for Properties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.list()).finish()
    }
}

/// The properties in checked wire bytes, as values. Checked bytes always parse; should
/// they not, what parsed is kept rather than panicking.
fn parse_wire(bytes: &Bytes) -> Vec<Property> {
    let mut r = Reader::new(bytes.clone());
    let mut list = Vec::with_capacity((bytes.len() / 2).min(8));
    while !r.is_empty() {
        let Some(id) = r
            .var_int("property identifier")
            .ok()
            .and_then(|raw| u8::try_from(raw).ok())
            .and_then(PropertyId::from_u8)
        else {
            break;
        };
        match read_value(&mut r, id) {
            Ok(p) => list.push(p),
            Err(_) => break,
        }
    }
    list
}

/// Bit of an identifier in the masks of [`Properties`].
const fn bit(id: PropertyId) -> u64 {
    1 << (id as u8)
}

/// The identifiers allowed in each place, as masks: index 0 is the Will Properties, index `n`
/// packet type `n`.
// Evaluated at compile time: an index out of range would fail the build, not panic.
#[allow(clippy::indexing_slicing)]
const ALLOWED: [u64; 16] = {
    let mut table = [0u64; 16];
    let mut id = 0u8;
    while id < 64 {
        if let Some(p) = PropertyId::from_u8(id) {
            let places = p.places();
            let mut place = 0;
            while place < 16 {
                if places & (1 << place) != 0 {
                    table[place] |= 1 << id;
                }
                place += 1;
            }
        }
        id += 1;
    }
    table
};

impl Place {
    /// The identifiers allowed here.
    fn allowed(self) -> u64 {
        let index = match self {
            Place::Packet(p) => p as usize,
            Place::Will => 0,
        };
        ALLOWED.get(index).copied().unwrap_or(0)
    }

    /// The identifiers that may appear more than once here.
    fn repeatable(self) -> u64 {
        if self == Place::Packet(PacketType::Publish) {
            bit(PropertyId::UserProperty) | bit(PropertyId::SubscriptionIdentifier)
        } else {
            bit(PropertyId::UserProperty)
        }
    }
}

// Written out so that dropping the usual empty properties is a null test where they are
// dropped: the compiler's drop glue, out of line, saved and restored six registers around
// that test (about 18 instructions, for every packet decoded).
impl Drop for Properties {
    #[inline]
    fn drop(&mut self) {
        if let Some(inner) = self.0.take() {
            drop_inner(inner);
        }
    }
}

#[inline(never)]
fn drop_inner(inner: Box<Inner>) {
    drop(inner);
}

impl Properties {
    /// No properties.
    pub const fn new() -> Properties {
        Properties(None)
    }

    /// The properties as values, parsing decoded ones on first use.
    fn list(&self) -> &[Property] {
        match &self.0 {
            Some(i) => match &i.wire {
                Some(w) => i.parsed.get_or_init(|| parse_wire(w)),
                None => &i.list,
            },
            None => &[],
        }
    }

    /// The properties to change: decoded ones stop being wire bytes.
    fn inner_mut(&mut self) -> &mut Inner {
        let i = self.0.get_or_insert_with(Box::default);
        if let Some(w) = i.wire.take() {
            i.list = std::mem::take(&mut i.parsed)
                .into_inner()
                .unwrap_or_else(|| parse_wire(&w));
        }
        i
    }

    /// The list to change.
    fn list_mut(&mut self) -> &mut Vec<Property> {
        &mut self.inner_mut().list
    }

    /// Bits of the identifiers present.
    fn present(&self) -> u64 {
        self.0.as_ref().map_or(0, |i| i.present)
    }

    /// The list if a property `id` is present, else nothing (without parsing).
    fn list_with(&self, id: PropertyId) -> &[Property] {
        if self.present() & bit(id) == 0 {
            &[]
        } else {
            self.list()
        }
    }

    /// Wraps a list, computing what encoding needs to know about it.
    fn from_list(list: Vec<Property>) -> Properties {
        if list.is_empty() {
            return Properties::new();
        }
        let mut inner = Inner::default();
        for p in &list {
            inner.note(p);
        }
        inner.list = list;
        Properties(Some(Box::new(inner)))
    }

    /// Recomputes the summary of the list from scratch.
    fn recount(&mut self) {
        let list = std::mem::take(self.list_mut());
        *self = Properties::from_list(list);
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.present() == 0
    }

    /// How many there are (each User Property counts once).
    pub fn len(&self) -> usize {
        self.list().len()
    }

    /// Iterates in wire order.
    pub fn iter(&self) -> std::slice::Iter<'_, Property> {
        self.list().iter()
    }

    /// Adds a property at the end.
    pub fn push(&mut self, property: Property) {
        let i = self.inner_mut();
        i.note(&property);
        i.list.push(property);
    }

    /// Adds a property, replacing an earlier one with the same identifier unless the
    /// identifier may repeat.
    pub fn set(&mut self, property: Property) {
        let id = property.id();
        if !id.repeatable() && self.present() & bit(id) != 0 {
            self.list_mut().retain(|p| p.id() != id);
            self.recount();
        }
        self.push(property);
    }

    /// Removes every property with this identifier.
    pub fn remove(&mut self, id: PropertyId) {
        if self.present() & bit(id) != 0 {
            self.list_mut().retain(|p| p.id() != id);
            self.recount();
        }
    }

    /// The first property with this identifier.
    pub fn get(&self, id: PropertyId) -> Option<&Property> {
        self.list_with(id).iter().find(|p| p.id() == id)
    }

    fn int(&self, id: PropertyId) -> Option<u32> {
        match self.get(id)?.value() {
            Value::Int(v) => Some(v),
            _ => None,
        }
    }

    fn string(&self, id: PropertyId) -> Option<&ByteStr> {
        match self.get(id)?.value() {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    fn binary(&self, id: PropertyId) -> Option<&Bytes> {
        match self.get(id)?.value() {
            Value::Bin(b) => Some(b),
            _ => None,
        }
    }

    /// Payload Format Indicator: `Some(true)` when the payload is declared UTF-8.
    pub fn payload_is_utf8(&self) -> Option<bool> {
        self.int(PropertyId::PayloadFormatIndicator).map(|v| v == 1)
    }
    /// Message Expiry Interval, in seconds.
    pub fn message_expiry_interval(&self) -> Option<u32> {
        self.int(PropertyId::MessageExpiryInterval)
    }
    /// Content Type.
    pub fn content_type(&self) -> Option<&ByteStr> {
        self.string(PropertyId::ContentType)
    }
    /// Response Topic.
    pub fn response_topic(&self) -> Option<&ByteStr> {
        self.string(PropertyId::ResponseTopic)
    }
    /// Correlation Data.
    pub fn correlation_data(&self) -> Option<&Bytes> {
        self.binary(PropertyId::CorrelationData)
    }
    /// Every Subscription Identifier, in order.
    pub fn subscription_identifiers(&self) -> impl Iterator<Item = u32> + '_ {
        let list = self.list_with(PropertyId::SubscriptionIdentifier);
        list.iter().filter_map(|p| match p {
            Property::SubscriptionIdentifier(v) => Some(*v),
            _ => None,
        })
    }
    /// Session Expiry Interval, in seconds.
    pub fn session_expiry_interval(&self) -> Option<u32> {
        self.int(PropertyId::SessionExpiryInterval)
    }
    /// Assigned Client Identifier.
    pub fn assigned_client_identifier(&self) -> Option<&ByteStr> {
        self.string(PropertyId::AssignedClientIdentifier)
    }
    /// Server Keep Alive, in seconds.
    pub fn server_keep_alive(&self) -> Option<u16> {
        self.int(PropertyId::ServerKeepAlive).map(|v| v as u16)
    }
    /// Authentication Method.
    pub fn authentication_method(&self) -> Option<&ByteStr> {
        self.string(PropertyId::AuthenticationMethod)
    }
    /// Authentication Data.
    pub fn authentication_data(&self) -> Option<&Bytes> {
        self.binary(PropertyId::AuthenticationData)
    }
    /// Will Delay Interval, in seconds.
    pub fn will_delay_interval(&self) -> Option<u32> {
        self.int(PropertyId::WillDelayInterval)
    }
    /// Response Information.
    pub fn response_information(&self) -> Option<&ByteStr> {
        self.string(PropertyId::ResponseInformation)
    }
    /// Server Reference.
    pub fn server_reference(&self) -> Option<&ByteStr> {
        self.string(PropertyId::ServerReference)
    }
    /// Reason String.
    pub fn reason_string(&self) -> Option<&ByteStr> {
        self.string(PropertyId::ReasonString)
    }
    /// Receive Maximum.
    pub fn receive_maximum(&self) -> Option<u16> {
        self.int(PropertyId::ReceiveMaximum).map(|v| v as u16)
    }
    /// Topic Alias Maximum.
    pub fn topic_alias_maximum(&self) -> Option<u16> {
        self.int(PropertyId::TopicAliasMaximum).map(|v| v as u16)
    }
    /// Topic Alias.
    pub fn topic_alias(&self) -> Option<u16> {
        self.int(PropertyId::TopicAlias).map(|v| v as u16)
    }
    /// Maximum QoS (0 or 1; absent means 2).
    pub fn maximum_qos(&self) -> Option<u8> {
        self.int(PropertyId::MaximumQoS).map(|v| v as u8)
    }
    /// Retain Available.
    pub fn retain_available(&self) -> Option<bool> {
        self.int(PropertyId::RetainAvailable).map(|v| v == 1)
    }
    /// Maximum Packet Size, in bytes.
    pub fn maximum_packet_size(&self) -> Option<u32> {
        self.int(PropertyId::MaximumPacketSize)
    }
    /// Wildcard Subscription Available.
    pub fn wildcard_subscription_available(&self) -> Option<bool> {
        self.int(PropertyId::WildcardSubscriptionAvailable)
            .map(|v| v == 1)
    }
    /// Subscription Identifier Available.
    pub fn subscription_identifier_available(&self) -> Option<bool> {
        self.int(PropertyId::SubscriptionIdentifierAvailable)
            .map(|v| v == 1)
    }
    /// Shared Subscription Available.
    pub fn shared_subscription_available(&self) -> Option<bool> {
        self.int(PropertyId::SharedSubscriptionAvailable)
            .map(|v| v == 1)
    }
    /// Every User Property as (name, value), in order.
    pub fn user_properties(&self) -> impl Iterator<Item = (&ByteStr, &ByteStr)> + '_ {
        let list = self.list_with(PropertyId::UserProperty);
        list.iter().filter_map(|p| match p {
            Property::UserProperty(k, v) => Some((k, v)),
            _ => None,
        })
    }

    /// Reads a property length and the properties it spans, checking each against the rules
    /// for `place`.
    #[inline(always)]
    pub(crate) fn read(r: &mut Reader, place: Place) -> Result<Properties, DecodeError> {
        // Most packets carry none: a single 0 byte, read here without a call.
        if r.skip_zero_byte() {
            return Ok(Properties::new());
        }
        Properties::read_list(r, place)
    }

    fn read_list(r: &mut Reader, place: Place) -> Result<Properties, DecodeError> {
        let len = r.var_int("property length")? as usize;
        if len == 0 {
            return Ok(Properties::new());
        }
        let bytes = r.take(len, "properties")?;
        let (seen, repeated) = match scan_usual(&bytes, place) {
            Some(found) => {
                debug_assert_eq!(Ok(found), scan_checked(&bytes, place));
                found
            }
            None => scan_checked(&bytes, place)?,
        };
        // Every value was range-checked and every string checked as read, and each property
        // takes on the wire exactly the bytes it was read from (a Variable Byte Integer must
        // be in its shortest form): the summary is known without recomputing it.
        let props = Properties(Some(Box::new(Inner {
            list: Vec::new(),
            wire: Some(bytes),
            parsed: OnceLock::new(),
            present: seen,
            repeated,
            // At most a Variable Byte Integer's maximum: `var_int` refused more.
            len: len as u32,
            invalid: false,
        })));
        #[cfg(debug_assertions)]
        if let (Some(made), Some(read)) = (
            Properties::from_list(props.list().to_vec()).0.take(),
            props.0.as_deref(),
        ) {
            debug_assert_eq!(
                (made.present, made.repeated, made.len, made.invalid),
                (read.present, read.repeated, read.len, read.invalid)
            );
        }
        Ok(props)
    }

    /// The size of the properties on the wire without their length prefix, after checking
    /// each may appear in `place`.
    #[inline]
    pub(crate) fn body_len(&self, place: Place) -> Result<usize, EncodeError> {
        let Some(i) = &self.0 else {
            return Ok(0);
        };
        if i.present & !place.allowed() == 0
            && i.repeated & !place.repeatable() == 0
            && !i.invalid
            && i.len <= MAX_VARIABLE_BYTE_INTEGER
        {
            return Ok(i.len as usize);
        }
        self.first_error(place)
    }

    /// Walks the properties in order to name the first that cannot be sent in `place`.
    #[cold]
    fn first_error(&self, place: Place) -> Result<usize, EncodeError> {
        let mut seen: u64 = 0;
        let mut len = 0usize;
        for p in self.list() {
            let id = p.id();
            if id.places() & place.mask() == 0 {
                return Err(EncodeError::PropertyNotAllowed(id));
            }
            let bit = bit(id);
            if seen & bit & !place.repeatable() != 0 {
                return Err(EncodeError::DuplicateProperty(id));
            }
            seen |= bit;
            len += p.encoded_len()?;
        }
        if len > MAX_VARIABLE_BYTE_INTEGER as usize {
            return Err(EncodeError::PacketTooLarge);
        }
        Ok(len)
    }

    /// Writes the length prefix and the properties; `body_len` must have been checked.
    #[inline(always)]
    pub(crate) fn write(&self, buf: &mut BytesMut, body_len: usize) {
        if body_len == 0 {
            buf.put_u8(0);
        } else {
            self.write_list(buf, body_len);
        }
    }

    fn write_list(&self, buf: &mut BytesMut, body_len: usize) {
        put_var_int(buf, body_len);
        let Some(i) = &self.0 else {
            return;
        };
        match &i.wire {
            // Decoded and unchanged: the bytes are the encoding.
            Some(w) => buf.put_slice(w),
            None => {
                for p in &i.list {
                    p.write(buf);
                }
            }
        }
    }
}

impl FromIterator<Property> for Properties {
    fn from_iter<T: IntoIterator<Item = Property>>(iter: T) -> Properties {
        Properties::from_list(iter.into_iter().collect())
    }
}

impl From<Vec<Property>> for Properties {
    fn from(v: Vec<Property>) -> Properties {
        Properties::from_list(v)
    }
}

impl<'a> IntoIterator for &'a Properties {
    type Item = &'a Property;
    type IntoIter = std::slice::Iter<'a, Property>;
    fn into_iter(self) -> Self::IntoIter {
        self.list().iter()
    }
}

/// Checks every property in `bytes` (a property list without its length) against every
/// rule for `place`, naming the first broken; returns the identifiers present and those
/// present more than once.
fn scan_checked(bytes: &Bytes, place: Place) -> Result<(u64, u64), DecodeError> {
    let mut r = Reader::new(bytes.clone());
    let mut seen: u64 = 0;
    let mut repeated: u64 = 0;
    while !r.is_empty() {
        let raw = r.var_int("property identifier")?;
        let id = u8::try_from(raw)
            .ok()
            .and_then(PropertyId::from_u8)
            .ok_or(DecodeError::UnknownProperty(raw.min(0xff) as u8))?;
        check_value(&mut r, id)?;
        if id.places() & place.mask() == 0 {
            return Err(DecodeError::PropertyNotAllowed {
                property: id,
                packet: place.name(),
            });
        }
        let bit = bit(id);
        if seen & bit != 0 {
            if place.repeatable() & bit == 0 {
                return Err(DecodeError::DuplicateProperty(id));
            }
            repeated |= bit;
        }
        seen |= bit;
    }
    Ok((seen, repeated))
}

/// [`scan_checked`] for the usual list, in one tight pass over the bytes: one-byte
/// identifiers, ASCII strings. `None` when the list is anything else or breaks a rule, for
/// [`scan_checked`] to decide and name the rule; never accepts what it would refuse (debug
/// builds compare the two on every list this accepts).
#[inline]
fn scan_usual(b: &[u8], place: Place) -> Option<(u64, u64)> {
    /// Moves past a length-prefixed field at `at`, checking it is ASCII without U+0000
    /// when it is a string.
    #[inline(always)]
    fn skip(b: &[u8], at: usize, string: bool) -> Option<usize> {
        let &[hi, lo] = b.get(at..)?.first_chunk::<2>()?;
        let end = at + 2 + usize::from(u16::from_be_bytes([hi, lo]));
        let value = b.get(at + 2..end)?;
        (!string || is_ascii_without_nul(value)).then_some(end)
    }
    let allowed = place.allowed();
    let repeatable = place.repeatable();
    let (mut seen, mut repeated) = (0u64, 0u64);
    let mut at = 0;
    while let Some(&raw) = b.get(at) {
        // Identifiers above 0x7f would take two bytes; none is defined.
        let id = PropertyId::from_u8(raw)?;
        let bit = bit(id);
        if allowed & bit == 0 {
            return None;
        }
        at += 1;
        at = match id.kind() {
            Kind::Bool => (*b.get(at)? <= 1).then_some(at + 1)?,
            Kind::U16 => b.get(at..at + 2).map(|_| at + 2)?,
            Kind::NonZeroU16 => (b.get(at..at + 2)? != [0, 0]).then_some(at + 2)?,
            Kind::U32 => b.get(at..at + 4).map(|_| at + 4)?,
            Kind::NonZeroU32 => (b.get(at..at + 4)? != [0, 0, 0, 0]).then_some(at + 4)?,
            // The one-byte form: 1 to 127.
            Kind::SubscriptionId => (1..0x80).contains(b.get(at)?).then_some(at + 1)?,
            Kind::Str => skip(b, at, true)?,
            Kind::Bin => skip(b, at, false)?,
            Kind::Pair => skip(b, skip(b, at, true)?, true)?,
        };
        if seen & bit != 0 {
            if repeatable & bit == 0 {
                return None;
            }
            repeated |= bit;
        }
        seen |= bit;
    }
    Some((seen, repeated))
}

/// Checks the value of a property whose identifier has just been read and moves past it:
/// what [`read_value`] checks, with the same errors, without making the value.
#[inline]
fn check_value(r: &mut Reader, id: PropertyId) -> Result<(), DecodeError> {
    let field = id.name();
    let bad = |value: u32| DecodeError::InvalidPropertyValue {
        property: id,
        value,
    };
    match id.kind() {
        Kind::Bool => match r.u8(field)? {
            0 | 1 => Ok(()),
            v => Err(bad(u32::from(v))),
        },
        Kind::U16 => r.u16(field).map(|_| ()),
        Kind::NonZeroU16 => match r.u16(field)? {
            0 => Err(bad(0)),
            _ => Ok(()),
        },
        Kind::U32 => r.u32(field).map(|_| ()),
        Kind::NonZeroU32 => match r.u32(field)? {
            0 => Err(bad(0)),
            _ => Ok(()),
        },
        Kind::SubscriptionId => match r.var_int(field)? {
            0 => Err(bad(0)),
            _ => Ok(()),
        },
        Kind::Str => r.skip_string(field),
        Kind::Bin => r.skip_binary(field),
        Kind::Pair => {
            r.skip_string(field)?;
            r.skip_string(field)
        }
    }
}

/// Reads the value of a property whose identifier has just been read: one match on the
/// identifier, integers range-checked as read.
#[inline]
fn read_value(r: &mut Reader, id: PropertyId) -> Result<Property, DecodeError> {
    use Property as P;
    use PropertyId as I;
    let field = id.name();
    let bad = |value: u32| DecodeError::InvalidPropertyValue {
        property: id,
        value,
    };
    let flag = |r: &mut Reader| match r.u8(field)? {
        v @ (0 | 1) => Ok(v),
        v => Err(bad(u32::from(v))),
    };
    let nonzero16 = |r: &mut Reader| match r.u16(field)? {
        0 => Err(bad(0)),
        v => Ok(v),
    };
    Ok(match id {
        I::PayloadFormatIndicator => P::PayloadFormatIndicator(flag(r)?),
        I::MessageExpiryInterval => P::MessageExpiryInterval(r.u32(field)?),
        I::ContentType => P::ContentType(r.string(field)?),
        I::ResponseTopic => P::ResponseTopic(r.string(field)?),
        I::CorrelationData => P::CorrelationData(r.binary(field)?),
        I::SubscriptionIdentifier => match r.var_int(field)? {
            0 => return Err(bad(0)),
            v => P::SubscriptionIdentifier(v),
        },
        I::SessionExpiryInterval => P::SessionExpiryInterval(r.u32(field)?),
        I::AssignedClientIdentifier => P::AssignedClientIdentifier(r.string(field)?),
        I::ServerKeepAlive => P::ServerKeepAlive(r.u16(field)?),
        I::AuthenticationMethod => P::AuthenticationMethod(r.string(field)?),
        I::AuthenticationData => P::AuthenticationData(r.binary(field)?),
        I::RequestProblemInformation => P::RequestProblemInformation(flag(r)?),
        I::WillDelayInterval => P::WillDelayInterval(r.u32(field)?),
        I::RequestResponseInformation => P::RequestResponseInformation(flag(r)?),
        I::ResponseInformation => P::ResponseInformation(r.string(field)?),
        I::ServerReference => P::ServerReference(r.string(field)?),
        I::ReasonString => P::ReasonString(r.string(field)?),
        I::ReceiveMaximum => P::ReceiveMaximum(nonzero16(r)?),
        I::TopicAliasMaximum => P::TopicAliasMaximum(r.u16(field)?),
        I::TopicAlias => P::TopicAlias(nonzero16(r)?),
        I::MaximumQoS => P::MaximumQoS(flag(r)?),
        I::RetainAvailable => P::RetainAvailable(flag(r)?),
        I::UserProperty => P::UserProperty(r.string(field)?, r.string(field)?),
        I::MaximumPacketSize => match r.u32(field)? {
            0 => return Err(bad(0)),
            v => P::MaximumPacketSize(v),
        },
        I::WildcardSubscriptionAvailable => P::WildcardSubscriptionAvailable(flag(r)?),
        I::SubscriptionIdentifierAvailable => P::SubscriptionIdentifierAvailable(flag(r)?),
        I::SharedSubscriptionAvailable => P::SharedSubscriptionAvailable(flag(r)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every property list with one byte changed to every value, in every place: the quick
    /// scan must agree with the checked one whenever it answers.
    #[test]
    fn quick_scan_never_accepts_what_the_checked_scan_refuses() {
        let lists: Vec<Properties> = vec![
            Properties::from_iter([
                Property::PayloadFormatIndicator(1),
                Property::MessageExpiryInterval(60),
                Property::ResponseTopic("reply/to".into()),
                Property::CorrelationData(Bytes::from_static(b"\x00\x01")),
                Property::ContentType("application/json".into()),
                Property::SubscriptionIdentifier(5),
                Property::TopicAlias(3),
                Property::UserProperty("k".into(), "v".into()),
            ]),
            Properties::from_iter([
                Property::SessionExpiryInterval(10),
                Property::ReceiveMaximum(20),
                Property::MaximumPacketSize(1024),
                Property::TopicAliasMaximum(0),
                Property::RequestProblemInformation(0),
                Property::AuthenticationMethod("SCRAM".into()),
                Property::AuthenticationData(Bytes::from_static(b"x")),
                Property::WillDelayInterval(5),
            ]),
        ];
        let places = [
            PacketType::Connect,
            PacketType::ConnAck,
            PacketType::Publish,
        ]
        .map(Place::Packet)
        .into_iter()
        .chain([Place::Will, Place::Packet(PacketType::Subscribe)]);
        let places: Vec<Place> = places.collect();
        let mut accepted = 0;
        for list in &lists {
            let mut wire = BytesMut::new();
            for p in list {
                p.write(&mut wire);
            }
            for at in 0..wire.len() {
                for value in 0..=255u8 {
                    let mut bytes = wire.clone();
                    if let Some(b) = bytes.get_mut(at) {
                        *b = value;
                    }
                    let bytes = bytes.freeze();
                    for &place in &places {
                        if let Some(found) = scan_usual(&bytes, place) {
                            accepted += 1;
                            assert_eq!(Ok(found), scan_checked(&bytes, place), "{bytes:?}");
                        }
                    }
                }
            }
        }
        assert!(
            accepted > 1000,
            "the quick scan accepted only {accepted} lists"
        );
    }
}
