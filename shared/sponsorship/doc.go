// Package sponsorship is the domain of the Sponsorship Tracker: funding requests and
// their kinds, the validation an applicant's input must pass, the lifecycle a request
// moves through and who may move it, fiscal years, audit events, and the Service that
// applies these rules on top of a Store.
//
// The package knows nothing of AWS or HTTP. Storage is behind the Store interface
// declared here and implemented by the dynamostore package; HTTP lives in the api
// package.
package sponsorship
