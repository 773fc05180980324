// Package dynamostore keeps the Sponsorship Tracker's data in one DynamoDB table and
// implements sponsorship.Store.
//
// # Table design
//
// Every item has a partition key PK and a sort key SK, both strings. Four sparse
// global secondary indexes serve the access patterns the design names; no code path
// scans the table.
//
//	item               PK                    SK               GSI1PK / GSI1SK (queue)
//	request            REQ#<id>              REQUEST          STATUS#<status> / <submitted>#<id>
//	audit event        REQ#<id>              EVENT#<version>  -
//	confirmation code  REQ#<id>              CONFIRM          -
//	unconfirmed count  QUOTA#<sha256(addr)>  DAY#<yyyy-mm-dd> -
//	idempotency key    IDEM#<sha256(key)>    IDEM             -
//	vote               REQ#<id>              VOTE#<reviewer>  -
//	recusal            REQ#<id>              RECUSAL#<reviewer>
//	declaration        REQ#<id>              SETTLED#<reviewer> (of no conflict)
//	payment            REQ#<id>              PAYMENT#<ulid>
//	attachment         REQ#<id>              ATT#<ulid>
//	payout details     REQ#<id>              WALLET#<nnnn>    (sealed; sorts last)
//	roster entry       ROSTER                REVIEWER#<sub>
//	company            ROSTER                COMPANY#<id>
//	company's claim    COMPANYKEY#<key> or COMPANYDOMAIN#<domain> / CLAIM
//	governance         SETTINGS              GOVERNANCE
//	public fields      SETTINGS              PUBLICATION
//	register entry     REGISTER#<fiscal year> DECISION#<id>  (a listed decision)
//	register totals    REGISTER#<fiscal year> TOTALS
//	year's context     REGISTER#<fiscal year> CONTEXT   (copy of the public fields and years)
//	register's years   REGISTER              YEARS
//	feed's context     REGISTER              CONTEXT   GSI4PK / GSI4SK: REGISTER / ~
//
//	item             GSI2PK / GSI2SK (period)             GSI3PK / GSI3SK (applicant)
//	request          FY#<year> / <submitted>#<id>         EMAIL#<email> / <submitted>#<id>
//	audit event      AUDIT#<yyyy-mm> / <at>#<id>#<ver>    -
//
//	item             GSI4PK / GSI4SK (the register's feed)
//	register entry   REGISTER / <decided>#<id>
//
// A request and its audit trail share a partition: one Query (PK = REQ#<id>) reads the
// request with its history, and zero-padded versions keep the events in order. GSI1 is
// the review queue: requests by status, oldest or newest first. GSI2 holds requests by
// fiscal year and audit events by month, for finance reports and transparency reviews.
// GSI3 finds an applicant's requests by lower-cased e-mail. GSI4 is the public
// register's feed. A company's claims make each name key and e-mail domain belong to one company: they are written with the
// company, conditional on being free or already its own. Idempotency items carry
// expiresAt, the table's TTL attribute, and count as absent once past it, even before
// DynamoDB deletes them.
//
// A request waiting for its applicant's e-mail address to be confirmed is provisional:
// its request item has no GSI1 or GSI2 keys (the indexes are sparse, so it is in
// neither the queue nor the reports), nor have the events it writes, and every item
// of its partition — the request, its events and the plain confirmation code that the
// notification function reads to build the link — carries expiresAt a week on. The
// domain treats it as absent from then on (moto never expires items, and DynamoDB may
// take days). The confirming transaction puts the request with its index keys, removes
// expiresAt from the events written so far (which stay out of the audit report: the
// report starts at the confirmation), and deletes the code. Each address's count of
// unconfirmed requests per UTC day is an item of its own, keyed by the address's
// SHA-256, added to in the creating transaction on condition that it is under the
// limit, given back by a confirmation that day, and expiring a day after its day.
//
// The public register is a partition per fiscal year: an entry per listed decision
// (its applicant chose named or anonymous), holding only what its public record may
// ever show, and the year's totals, counting every decision, listed or not, as flat
// numbers (decided_<kind>_<outcome>, approved_<kind>_<currency>,
// paid_<kind>_<currency>) that ADD updates. The decision's transaction puts the entry,
// adds to the totals and adds the year to the YEARS item; a payment's adds to the
// entry's count and paid amount and to the totals; a narrowed consent takes the name
// and organization out of the entry (anonymous) or deletes it (none). A year's page is
// one Query of its partition, which holds a copy of the public fields and the years
// (see registercontext.go); the feed of the latest decisions one Query of GSI4, whose
// newest-first order reads the feed's copy first; a decision's page one BatchGetItem of its entry (keyed by
// id, so that the page's address, /register/<year>/<id>, finds it without knowing when
// it was decided) and the public fields, which are applied when the page is made, then
// the decision event's LEAF# item for its index in the verifiable log.
//
// Times in keys are UTC with fixed width (2006-01-02T15:04:05.000000Z) so they sort as
// strings. The table's stream (new and old images) carries each new audit event to the
// notification function.
package dynamostore
