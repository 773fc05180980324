"""moto's server, with DynamoDB transactions that undo only what they wrote and
queries that read only their partition.

Started by the localaws package (moto.go) with the Python that runs moto_server, and the
same arguments. Both changes keep moto's answers; they remove work that grows with the
table, which made the local stack slower with every write.

Transactions.
moto 5.2 lets a failed TransactWriteItems put back a deep copy of every table the
transaction names, taken before it starts. The copy holds every item and every stream
record the table has ever had, and moto never drops stream records, so each
transaction costs more than the one before: after the end-to-end suite's writes one
took about a quarter of a second, and twenty concurrent approvals ran past the
functions' timeout.

Here the transaction keeps a copy of just the items it names and the length of each
table's stream. If it fails, those items are put back and the stream records it added
are dropped; the table object itself stays in place. The proxy in front of moto lets
one call through at a time, so nothing else writes while a transaction runs.

Queries. moto 5.2 answers a Query on the table's own key by listing and sorting every
item of the table, then keeping those of the partition asked for: a roster read took
40 ms once a load run had written a few thousand items. Here such a Query sees only its
partition's items; moto's own code does the rest (ranges, order, pages, filters).
A Query on an index did the same sort of the whole table and compared every item's key
through DynamoType (190 ms for a queue page over 5 000 items); here it is handed the
items whose index hash key is exactly the string asked for, unsorted (moto sorts what it
keeps by the index's keys), and moto's own checks run on those.

Cognito invitations. moto 5.2 sends none: a user that AdminCreateUser makes without a
TemporaryPassword has no password at all, so nobody can ever sign in as them, and
MessageAction RESEND creates a second user with the same e-mail address instead of
mailing the first one again. Here, as Cognito does, such a user gets a generated
temporary password that meets the pool's password policy and, unless MessageAction is
SUPPRESS, the invitation is sent: kept as a message of moto's SES, from Cognito's
default sender, with the other sent mail at /moto-api/data.json, its text the pool's
invitation template (Cognito's default: "Your username is {username} and temporary
password is {####}."). RESEND refuses a user who has set a password
(UnsupportedUserStateException, as Cognito does) and otherwise gives the user a new
temporary password and sends the invitation again.

Tracked instances. moto 5.2 keeps every object of its model classes in a class-level
list for /moto-api/data.json, for ever: every DynamoDB item version a write made, every
stream record and every shard iterator. Nothing frees them, so the process grows with
every write, Python's garbage collector walks them all again and again, and each read
of /moto-api/data.json (where tests read the mail SES sent) serialised all of them,
attribute by attribute: seconds per read once a suite had written a few thousand items.
S3 objects are kept the same way, contents and all, and one of them (a copied object
whose `status` raises NoSuchBucket) made data.json answer 500 for good.
Here those four classes are not tracked; data.json lists every other model as before,
sent mail included.

Sent mail. Reading the mail SES sent from /moto-api/data.json serialises every tracked
object of every service. /moto-api/motostack/sent-mail?from=N answers with just the
sent messages (moto's SES Message objects, in the order they were sent: those data.json
lists under ses.Message) from the Nth on, so a reader that waits for a mail asks only
for what is new.

Cognito sign-out. moto 5.2 revokes a user's tokens on AdminUserGlobalSignOut only when
the request names the user exactly as the sign-in that issued them did (the e-mail
address, say, and not the subject), and still refreshes tokens for a disabled user.
Cognito does neither: here a global sign-out revokes every token of the user, however
either call named them, and refreshing a disabled user's tokens is refused.

Time to live. moto 5.2 stores a table's TTL setting and never expires an item. POST
/moto-api/motostack/expire-ttl (?table=NAME, repeated, to sweep only those tables) does
what DynamoDB's background process does, once: in every table whose TTL is enabled it
deletes the items whose TTL attribute is a Number of epoch seconds in the past, but no
more than five years in the past (DynamoDB ignores those, and items without the
attribute or with another type). The deletion is the table's own, so indexes and the
stream follow; the stream's REMOVE record then names the service as DynamoDB's does,
userIdentity {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}. It answers
{"expired": {TABLE: COUNT}} for the tables swept. The local stack calls it every
Options.TTLSweep, through the serialising proxy like any other call.

Ed25519 KMS keys. moto 5.2 knows no KeySpec ECC_NIST_EDWARDS25519, which KMS has for
signing with Ed25519 (a transparency log's signed checkpoints). Here CreateKey makes
such a key (KeyUsage SIGN_VERIFY only) with an Ed25519 key of the cryptography library;
its metadata and GetPublicKey list ED25519_SHA_512 and ED25519_PH_SHA_512, and
GetPublicKey gives its DER SubjectPublicKeyInfo. Sign and Verify hold a request to
KMS's rules for these keys: ED25519_SHA_512 takes MessageType RAW (pure Ed25519, RFC
8032, over the message itself), ED25519_PH_SHA_512 takes DIGEST (a 64-byte SHA-512
digest); the other way round is a ValidationException, another algorithm an
InvalidKeyUsageException, and a signature that does not verify a
KMSInvalidSignatureException, as KMS answers. The cryptography library has no HashEdDSA
(Ed25519ph), so an ED25519_PH_SHA_512 request that passes those checks is refused with
UnsupportedOperationException rather than signed some other way. Every other key is
left to moto; GetPublicKey also gains the KeySpec field KMS returns, which moto leaves
out.

Answers. moto 5.2 writes the answer of most operations (every DynamoDB one among them)
by walking the operation's output shape in botocore's model and, for each member, asking
a chain of alias finders where the value is: about a third of the process's time in a
load run went there, most of it on answers that are already plain dictionaries keyed
by the model's own member names (items, pages, stream records), where most members
are absent (an attribute value holds one of its ten). For such a dictionary the keys the
chain would try depend only on the member and its shape, so here they are worked out
once per shape and looked up directly; objects, and the answers of services whose
responses rewrite members by path (response transformers), still go through the chain. With MOTOSTACK_CHECK_ANSWERS naming a file, every member found
that way is also looked up the old way and each difference is added to that file, which
is how the change was checked against the whole test suite.

Backends. moto 5.2 finds the service of every request by listing its own package
directory and asking the file system whether each entry is a directory: a listing per
call. Here the list is made once.
"""

import base64
import copy
import inspect
import json
import os
import secrets
import string
import sys
import time
from urllib.parse import parse_qs, urlparse

import moto.dynamodb.models as dynamodb_models
import moto.kms.models as kms_models
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool, UserStatus
import moto.backends as moto_backends
from moto.core.exceptions import JsonRESTError
from moto.core.responses import BaseResponse
from moto.core.serialize import AttributePicker, AttributePickerContext, ResponseSerializer
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import StreamRecord, Table
from moto.dynamodbstreams.models import ShardIterator
from moto.kms.exceptions import ValidationException
from moto.kms.models import Key, KmsBackend
from moto.kms.responses import KmsResponse
from moto.kms.utils import AbstractPrivateKey
from moto.moto_api._internal import urls as moto_api_urls
from moto.s3.models import FakeKey
from moto.server import main
from moto.ses.models import Message, ses_backends


class _KeepTables:
    """Stands in for the copy module inside moto's DynamoDB backend: a table "copy" is
    the table itself; anything else is copied as before."""

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


def _key(table, op_type, op):
    attrs = op["Item"] if op_type == "Put" else op["Key"]
    hash_key = DynamoType(attrs[table.hash_key_attr])
    range_key = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
    return hash_key, range_key


def _put_back(table, hash_key, range_key, old):
    if range_key is None:
        if old is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = old
        return
    rows = table.items[hash_key]
    if old is None:
        rows.pop(range_key, None)
    else:
        rows[range_key] = old
    if not rows:
        table.items.pop(hash_key, None)


_transact_write_items = DynamoDBBackend.transact_write_items
_query = Table.query


def transact_write_items(self, transact_items):
    saved = []  # (table, hash key, range key, the item before, or None)
    streams = {}  # id(table) -> (table, stream length before)
    for entry in transact_items:
        try:
            op_type, op = next(iter(entry.items()))
            table = self.tables[op["TableName"]]
            hash_key, range_key = _key(table, op_type, op)
        except Exception:  # a malformed entry: moto reports it, and writes nothing for it
            continue
        shard = table.stream_shard
        streams.setdefault(id(table), (table, len(shard.items) if shard is not None else 0))
        saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
    try:
        return _transact_write_items(self, transact_items)
    except Exception:
        for table, hash_key, range_key, old in reversed(saved):
            _put_back(table, hash_key, range_key, old)
        for table, length in streams.values():
            if table.stream_shard is not None:
                del table.stream_shard.items[length:]
        raise


_QUERY_PARAMS = inspect.signature(_query)


def _only(self, items):
    """Makes moto's query list just these candidates, for one call."""
    self.all_items = lambda: items


def _index_candidates(self, conditions):
    """The items whose attributes equal each (name, string value) condition exactly."""
    wanted = [(name, value.value) for name, value in conditions]
    out = []
    for partition in self.items.values():
        for item in partition.values() if self.range_key_attr else (partition,):
            attrs = item.attrs
            if all((v := attrs.get(name)) is not None and v.type == "S" and v.value == want for name, want in wanted):
                out.append(item)
    return out


def query(self, hash_key, *args, **kwargs):
    call = _QUERY_PARAMS.bind(self, hash_key, *args, **kwargs).arguments
    if call.get("index_name") is not None:
        conditions = call.get("hash_key_conditions") or []
        if not conditions or any(value.type != "S" for _, value in conditions):
            return _query(self, hash_key, *args, **kwargs)
        _only(self, _index_candidates(self, conditions))
    elif hash_key is None:
        return _query(self, hash_key, *args, **kwargs)
    else:
        partition = self.items.get(hash_key)
        if partition is None:
            _only(self, [])
        elif self.range_key_attr:
            _only(self, list(partition.values()))
        else:
            _only(self, [partition])
    try:
        return _query(self, hash_key, *args, **kwargs)
    finally:
        del self.all_items


# Cognito's default sender, and the symbols a generated password draws from (all of
# them count as symbols for Cognito's password policy).
COGNITO_SENDER = "no-reply@verificationemail.com"
_SYMBOLS = "!@#%&*+=-_~^$?"  # no full stop or space: the message ends "{####}."


class UnsupportedUserStateException(JsonRESTError):
    def __init__(self, message):
        super().__init__(error_type="UnsupportedUserStateException", message=message)


def _temporary_password(pool):
    """A password the pool's policy accepts: at least 12 characters (or its minimum),
    with a capital, a small letter, a digit and a symbol."""
    policy = pool.extended_config.get("Policies", {}).get("PasswordPolicy", {})
    length = max(12, int(policy.get("MinimumLength", 8)))
    chars = [secrets.choice(string.ascii_uppercase), secrets.choice(string.ascii_lowercase),
             secrets.choice(string.digits), secrets.choice(_SYMBOLS)]
    chars += [secrets.choice(string.ascii_letters + string.digits) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def _invite(backend, pool, user, username):
    """Sends the invitation as moto's SES keeps sent mail."""
    template = pool.extended_config.get("AdminCreateUserConfig", {}).get("InviteMessageTemplate", {})
    subject = template.get("EmailSubject") or "Your temporary password"
    body = template.get("EmailMessage") or "Your username is {username} and temporary password is {####}."
    body = body.replace("{username}", username).replace("{####}", user.password)
    email = user.attribute_lookup.get("email", username)
    ses = ses_backends[backend.account_id][backend.region_name]
    message = Message(secrets.token_hex(16), COGNITO_SENDER, subject, body, {"ToAddresses": [email]})
    ses.sent_messages.append(message)
    ses.sent_message_count += 1


_admin_create_user = CognitoIdpBackend.admin_create_user


def admin_create_user(self, user_pool_id, username, message_action, temporary_password, attributes):
    pool = self.describe_user_pool(user_pool_id)
    if message_action == "RESEND":
        user = self.admin_get_user(user_pool_id, username)
        if user.status != UserStatus.FORCE_CHANGE_PASSWORD:
            status = getattr(user.status, "value", user.status)
            raise UnsupportedUserStateException(f"Resend not possible. {username} status is {status}.")
        user.password = temporary_password or _temporary_password(pool)
        _invite(self, pool, user, username)
        return user
    user = _admin_create_user(self, user_pool_id, username, message_action,
                              temporary_password or _temporary_password(pool), attributes)
    if message_action != "SUPPRESS":
        _invite(self, pool, user, username)
    return user


_sign_out = CognitoIdpUserPool.sign_out
_refresh = CognitoIdpUserPool.create_tokens_from_refresh_token


def sign_out(self, username):
    user = self._get_user(username)
    if user is None:
        return _sign_out(self, username)
    for token, entry in list(self.refresh_tokens.items()):
        if entry is not None and self._get_user(entry[1]) is user:
            self.refresh_tokens[token] = None
    for token, (_, name) in list(self.access_tokens.items()):
        if self._get_user(name) is user:
            self.access_tokens.pop(token)


def create_tokens_from_refresh_token(self, refresh_token):
    entry = self.refresh_tokens.get(refresh_token)
    user = self._get_user(entry[1]) if entry and entry[1] else None
    if user is not None and not user.enabled:
        raise NotAuthorizedError("User is disabled.")
    return _refresh(self, refresh_token)


# Only the moto this was written against (the pinned one) is changed; another keeps its
# own, slower, transactions.
if "original_table_state" in inspect.getsource(_transact_write_items):
    dynamodb_models.copy = _KeepTables
    DynamoDBBackend.transact_write_items = transact_write_items
else:
    print("motoserver.py: unfamiliar moto; its DynamoDB transactions are left as they are", file=sys.stderr)
if "self.all_items()" in inspect.getsource(_query) and {"index_name", "hash_key_conditions"} <= set(_QUERY_PARAMS.parameters):
    Table.query = query
else:
    print("motoserver.py: unfamiliar moto; its DynamoDB queries are left as they are", file=sys.stderr)


_get_value = ResponseSerializer.get_value
_check_answers = os.environ.get("MOTOSTACK_CHECK_ANSWERS")


def _dict_keys(serializer, key, shape):
    """The keys moto's chain of alias finders tries, in its order, for a member of a
    plain dictionary. For a dictionary they depend only on the member's name, its shape
    and the shape's parent (set just before), so they are worked out once and kept on
    the shape."""
    parent = getattr(shape, "parent", None)
    cache = shape.__dict__.setdefault("_motostack_keys", {})
    slot = (key, getattr(parent, "name", None), getattr(parent, "type_name", None))
    keys = cache.get(slot)
    if keys is None:
        context = AttributePickerContext(
            obj={},
            key=key,
            shape=shape,
            operation_model=serializer.operation_model,
            service_model=serializer.operation_model.service_model,
            key_path="",
        )
        keys = tuple(serializer._value_picker.get_possible_keys(context))
        cache[slot] = keys
    return keys


def get_value(self, value, key, shape):
    # A plain dictionary is looked up with the chain's keys straight away, unless the
    # serializer's picker is not moto's alias chain or carries response transformers
    # (per-path rewrites some services' responses register: SNS, IAM, EC2, ...; none of
    # DynamoDB's).
    picker = self._value_picker
    if (
        type(value) is not dict
        or shape is None
        or not isinstance(picker, AttributePicker)
        or getattr(picker, "response_transformers", None)
    ):
        return _get_value(self, value, key, shape)
    keys = _dict_keys(self, key, shape)
    if any("." in k for k in keys):
        return _get_value(self, value, key, shape)
    found = None
    for k in keys:
        if k in value:
            found = value[k]
            break
    if _check_answers:
        slow = _get_value(self, value, key, shape)
        if slow is not found and slow != found:
            with open(_check_answers, "a") as f:
                print(f"answer differs at {'.'.join(self.path)}.{key}: {slow!r} != {found!r}", file=f)
    return found


_moto_modules = tuple(moto_backends.list_of_moto_modules())


class _Untracked(list):
    """A class's list of tracked instances that keeps none of them."""

    def append(self, _instance):
        pass


for _cls in (Item, StreamRecord, ShardIterator, FakeKey):
    if isinstance(getattr(_cls, "instances_tracked", None), list):
        _cls.instances_tracked = _Untracked()


def sent_mail(request, full_url, headers):
    """The messages SES sent, from the index in ?from= on: [{id, source, subject, body,
    destinations}], oldest first."""
    try:
        start = max(0, int(parse_qs(urlparse(full_url).query).get("from", ["0"])[0]))
    except ValueError:
        return 400, {"Content-Type": "application/json"}, json.dumps({"message": "from must be a whole number"})
    out = [{"id": m.id, "source": m.source, "subject": m.subject, "body": m.body, "destinations": m.destinations}
           for m in Message.instances_tracked[start:]]
    return 200, {"Content-Type": "application/json"}, json.dumps(out)


moto_api_urls.url_paths["{0}/moto-api/motostack/sent-mail"] = sent_mail


# Who a TTL deletion's stream record names, as DynamoDB Streams writes it; and how far
# in the past an expiry may be for DynamoDB to act on it (five years, leap days included).
TTL_SERVICE = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
TTL_OLDEST = 5 * 365.25 * 24 * 3600


def _ttl_expired(item, attribute, now):
    """Whether DynamoDB's TTL process would delete the item now."""
    value = item.attrs.get(attribute)
    if value is None or value.type != "N":
        return False
    try:
        at = float(value.value)
    except (TypeError, ValueError):
        return False
    return now - TTL_OLDEST <= at < now


def _expire_table(table, now):
    """Deletes a table's expired items as TTL does; returns how many."""
    attribute = table.ttl.get("AttributeName")
    if table.ttl.get("TimeToLiveStatus") != "ENABLED" or not attribute:
        return 0
    expired = []
    for partition in table.items.values():
        for item in partition.values() if table.range_key_attr else (partition,):
            if _ttl_expired(item, attribute, now):
                expired.append((item.hash_key, item.range_key))
    for hash_key, range_key in expired:
        shard = table.stream_shard
        before = len(shard.items) if shard is not None else 0
        table.delete_item(hash_key, range_key)
        if shard is not None and len(shard.items) > before:
            shard.items[-1].record["userIdentity"] = dict(TTL_SERVICE)
    return len(expired)


def expire_ttl(request, full_url, headers):
    """Expires the items whose TTL has passed, in the tables named by ?table= (every
    table when none is): {"expired": {table: count}} for each table with TTL enabled."""
    if request.method != "POST":
        return 405, {"Content-Type": "application/json"}, json.dumps({"message": "POST to expire items"})
    wanted = set(parse_qs(urlparse(full_url).query).get("table", []))
    now = time.time()
    out = {}
    for _, _, backend in dynamodb_backends.iter_backends():
        for name, table in backend.tables.items():
            if (wanted and name not in wanted) or table.ttl.get("TimeToLiveStatus") != "ENABLED":
                continue
            out[name] = out.get(name, 0) + _expire_table(table, now)
    return 200, {"Content-Type": "application/json"}, json.dumps({"expired": out})


moto_api_urls.url_paths["{0}/moto-api/motostack/expire-ttl"] = expire_ttl

if 'message_action == "RESEND"' in inspect.getsource(_admin_create_user):
    CognitoIdpBackend.admin_create_user = admin_create_user
else:
    print("motoserver.py: unfamiliar moto; Cognito sends no invitations", file=sys.stderr)
if "refresh_tokens[token] = None" in inspect.getsource(_sign_out) and "self.refresh_tokens[refresh_token]" in inspect.getsource(_refresh):
    CognitoIdpUserPool.sign_out = sign_out
    CognitoIdpUserPool.create_tokens_from_refresh_token = create_tokens_from_refresh_token
else:
    print("motoserver.py: unfamiliar moto; its Cognito sign-out is left as it is", file=sys.stderr)


# KMS's Ed25519 key spec, and the MessageType each of its signing algorithms requires.
ED25519_SPEC = "ECC_NIST_EDWARDS25519"
ED25519_PURE, ED25519_PREHASH = "ED25519_SHA_512", "ED25519_PH_SHA_512"
ED25519_MESSAGE_TYPE = {ED25519_PURE: "RAW", ED25519_PREHASH: "DIGEST"}
KMS_MAX_MESSAGE = 4096  # bytes, for Sign and Verify
SHA512_DIGEST = 64  # bytes


class Ed25519SigningKey(AbstractPrivateKey):
    """The private key of an ECC_NIST_EDWARDS25519 KMS key: pure Ed25519 only."""

    def __init__(self):
        self.private_key = Ed25519PrivateKey.generate()

    def sign(self, message, signing_algorithm):
        if signing_algorithm != ED25519_PURE:  # _ed25519_request refuses the others first
            raise ValueError(f"Ed25519SigningKey cannot sign with {signing_algorithm}")
        return self.private_key.sign(message)

    def verify(self, message, signature, signing_algorithm):
        if signing_algorithm != ED25519_PURE:
            raise ValueError(f"Ed25519SigningKey cannot verify {signing_algorithm}")
        try:
            self.private_key.public_key().verify(signature, message)
            return True
        except InvalidSignature:
            return False

    def public_key(self):
        return self.private_key.public_key().public_bytes(
            encoding=serialization.Encoding.DER, format=serialization.PublicFormat.SubjectPublicKeyInfo)


_create_key = KmsBackend.create_key
_ensure_valid_key_spec = getattr(KmsBackend, "_KmsBackend__ensure_valid_key_spec", None)
_generate_private_key = kms_models.generate_private_key
_signing_algorithms = Key.signing_algorithms.fget
_kms_sign = KmsResponse.sign
_kms_verify = KmsResponse.verify
_kms_get_public_key = KmsResponse.get_public_key


def create_key(self, policy, key_usage, key_spec, *args, **kwargs):
    if key_spec == ED25519_SPEC and key_usage != "SIGN_VERIFY":
        # CreateKey's KeyUsage defaults to ENCRYPT_DECRYPT, which an Ed25519 key cannot do.
        raise ValidationException(f"KeyUsage {key_usage or 'ENCRYPT_DECRYPT'} is not compatible with KeySpec "
                                  f"{ED25519_SPEC}; it supports SIGN_VERIFY only.")
    return _create_key(self, policy, key_usage, key_spec, *args, **kwargs)


def ensure_valid_key_spec(self, key_spec):
    """moto's check of CreateKey's KeySpec against its own list, which lacks Ed25519."""
    if key_spec != ED25519_SPEC:
        _ensure_valid_key_spec(self, key_spec)


def generate_private_key(key_spec):
    """The private key moto's Key makes for its key spec: moto's own, or an Ed25519 one."""
    return Ed25519SigningKey() if key_spec == ED25519_SPEC else _generate_private_key(key_spec)


def signing_algorithms(self):
    """Key.SigningAlgorithms, which DescribeKey and GetPublicKey list and Sign checks."""
    if self.key_spec == ED25519_SPEC:
        return list(ED25519_MESSAGE_TYPE)
    return _signing_algorithms(self)


def _ed25519_key(response):
    """The Ed25519 key a request names, or None for any other key or none at all (moto
    then answers, NotFoundException included)."""
    try:
        key = response.kms_backend.describe_key(response._get_param("KeyId"))
    except Exception:  # no key, an unknown one or alias: moto's own answer is the right one
        return None
    return key if key.key_spec == ED25519_SPEC else None


def _ed25519_request(response):
    """Checks a Sign or Verify request for an Ed25519 key as KMS does; returns the
    message (bytes: moto's KmsResponse decodes it) and the signing algorithm."""
    response._validate_key_id(response._get_param("KeyId"))
    algorithm = response._get_param("SigningAlgorithm")
    message_type = response._get_param("MessageType") or "RAW"
    if not algorithm:
        raise ValidationException("1 validation error detected: Value null at 'signingAlgorithm' failed to "
                                  "satisfy constraint: Member must not be null")
    if algorithm not in ED25519_MESSAGE_TYPE:
        raise JsonRESTError("InvalidKeyUsageException", f"{algorithm} is not a signing algorithm of KeySpec "
                            f"{ED25519_SPEC}; it supports {', '.join(ED25519_MESSAGE_TYPE)}.")
    if message_type != ED25519_MESSAGE_TYPE[algorithm]:
        raise ValidationException(f"Message type {message_type} is incompatible with signing algorithm "
                                  f"{algorithm}: it requires {ED25519_MESSAGE_TYPE[algorithm]}.")
    message = response._get_param("Message") or b""
    if not message or len(message) > KMS_MAX_MESSAGE:
        raise ValidationException("1 validation error detected: Value at 'message' failed to satisfy constraint: "
                                  f"Member must have length between 1 and {KMS_MAX_MESSAGE}")
    if message_type == "DIGEST" and len(message) != SHA512_DIGEST:
        raise ValidationException(f"Digest is invalid length for algorithm {algorithm}: a SHA-512 digest has "
                                  f"{SHA512_DIGEST} bytes, not {len(message)}.")
    if algorithm == ED25519_PREHASH:
        raise JsonRESTError("UnsupportedOperationException", f"{ED25519_PREHASH} (HashEdDSA, Ed25519ph) is not "
                            "emulated locally: the cryptography library has no Ed25519ph. Use ED25519_SHA_512.")
    return message, algorithm


def kms_sign(self):
    key = _ed25519_key(self)
    if key is None:
        return _kms_sign(self)
    message, algorithm = _ed25519_request(self)
    arn, signature, _ = self.kms_backend.sign(key.id, message, algorithm)
    return json.dumps({"KeyId": arn, "Signature": base64.b64encode(signature).decode(), "SigningAlgorithm": algorithm})


def kms_verify(self):
    key = _ed25519_key(self)
    if key is None:
        return _kms_verify(self)
    message, algorithm = _ed25519_request(self)
    signature = base64.b64decode(self._get_param("Signature") or "")
    arn, valid, _ = self.kms_backend.verify(key.id, message, signature, algorithm)
    if not valid:
        raise JsonRESTError("KMSInvalidSignatureException", "The signature does not verify.")
    return json.dumps({"KeyId": arn, "SignatureValid": True, "SigningAlgorithm": algorithm})


def kms_get_public_key(self):
    out = json.loads(_kms_get_public_key(self))
    out.setdefault("KeySpec", out.get("CustomerMasterKeySpec"))
    return json.dumps(out)


# Only the moto this was written against (the pinned one) is changed: its key spec check
# and its Key making the private key from key_spec.
if _ensure_valid_key_spec is not None and "generate_private_key(self.key_spec)" in inspect.getsource(Key.__init__):
    KmsBackend.create_key = create_key
    KmsBackend._KmsBackend__ensure_valid_key_spec = ensure_valid_key_spec
    kms_models.generate_private_key = generate_private_key
    Key.signing_algorithms = property(signing_algorithms)
    KmsResponse.sign = kms_sign
    KmsResponse.verify = kms_verify
    KmsResponse.get_public_key = kms_get_public_key
else:
    print("motoserver.py: unfamiliar moto; its KMS has no Ed25519 keys", file=sys.stderr)

# Only the moto this was written against (the pinned one) is changed: its answers
# member lookup, and its per-request listing of its own modules.
if "AttributePickerContext(" in inspect.getsource(_get_value):
    ResponseSerializer.get_value = get_value
else:
    print("motoserver.py: unfamiliar moto; its answers are written as before", file=sys.stderr)
if "os.listdir" in inspect.getsource(moto_backends.list_of_moto_modules):
    moto_backends.list_of_moto_modules = lambda: _moto_modules
else:
    print("motoserver.py: unfamiliar moto; it lists its modules on every request", file=sys.stderr)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
