// Package notify decides who hears about each audit event, renders the messages, and
// sends each one at most once as far as the sender can tell: a notification is claimed
// in an outbox (keyed by its event, channel and recipient) before it is sent, and marked
// sent after, so a retried stream batch skips what already went out.
//
// Channels (e-mail, a chat webhook) and the outbox are interfaces; the AWS-backed ones
// live in the channels and dynamostore packages.
package notify
