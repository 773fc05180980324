// Package dynamostore keeps the Sponsorship Tracker's data in one DynamoDB table and
// implements sponsorship.Store.
//
// # Table design
//
// Every item has a partition key PK and a sort key SK, both strings. Three overloaded
// global secondary indexes serve the access patterns the design names; no code path
// scans the table.
//
//	item             PK                  SK               GSI1PK / GSI1SK (queue)
//	request          REQ#<id>            REQUEST          STATUS#<status> / <submitted>#<id>
//	audit event      REQ#<id>            EVENT#<version>  -
//	idempotency key  IDEM#<sha256(key)>  IDEM             -
//	vote             REQ#<id>            VOTE#<reviewer>  -
//	recusal          REQ#<id>            RECUSAL#<reviewer>
//	declaration      REQ#<id>            SETTLED#<reviewer> (of no conflict)
//	roster entry     ROSTER              REVIEWER#<sub>
//	company          ROSTER              COMPANY#<id>
//	company's claim  COMPANYKEY#<key> or COMPANYDOMAIN#<domain> / CLAIM
//
//	item             GSI2PK / GSI2SK (period)             GSI3PK / GSI3SK (applicant)
//	request          FY#<year> / <submitted>#<id>         EMAIL#<email> / <submitted>#<id>
//	audit event      AUDIT#<yyyy-mm> / <at>#<id>#<ver>    -
//
// A request and its audit trail share a partition: one Query (PK = REQ#<id>) reads the
// request with its history, and zero-padded versions keep the events in order. GSI1 is
// the review queue: requests by status, oldest or newest first. GSI2 holds requests by
// fiscal year and audit events by month, for finance reports and transparency reviews.
// GSI3 finds an applicant's requests by lower-cased e-mail. A company's claims make
// each name key and e-mail domain belong to one company: they are written with the
// company, conditional on being free or already its own. Idempotency items carry
// expiresAt, the table's TTL attribute, and count as absent once past it, even before
// DynamoDB deletes them.
//
// Times in keys are UTC with fixed width (2006-01-02T15:04:05.000000Z) so they sort as
// strings. The table's stream (new and old images) carries each new audit event to the
// notification function.
package dynamostore
