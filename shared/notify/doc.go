// Package notify decides who hears about each audit event, renders the messages, and
// sends each one at most once as far as the sender can tell: an event's notifications
// are claimed together in an outbox before they are sent, and each is marked sent (by
// its channel and recipient) after, so a retried stream batch skips what already went
// out.
//
// Channels (e-mail, a chat webhook) and the outbox are interfaces; the AWS-backed ones
// live in the channels and dynamostore packages.
package notify
