"""moto's server, with DynamoDB transactions that undo only what they wrote and
queries that read only their partition.

Started by infra/localaws (moto.go) with the Python that runs moto_server, and the
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
"""

import copy
import inspect
import sys

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.server import main


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

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
