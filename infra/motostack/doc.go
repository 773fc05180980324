// Package motostack runs the stack a SAM template describes on one machine, without
// Docker: what `sam local` does, and what it leaves out.
//
// The template is expanded by aws-sam-translator (the library AWS uses), so Globals,
// HttpApi events, the JWT authorizer, event source mappings and schedules mean here what
// they mean on AWS. From the expanded template the stack:
//
//   - creates tables, queues, topics, buckets (with their CORS rules) and Cognito user
//     pools, clients and domains in moto (behind a proxy that serialises calls), leaving
//     out resources whose condition does not hold;
//   - puts a gate in front of moto through which every function reaches it with
//     credentials of its own: each call is evaluated against the function's execution
//     role as the template expands it and refused as AWS refuses it (package iam); the
//     gate also checks presigned POST policies and expiries, applies buckets' CORS rules
//     to browsers' requests, and sees what S3 stores;
//   - builds each function as sam build does (linux, CGO_ENABLED=0, -tags lambda.norpc)
//     for the host's architecture, and runs it under the Lambda Runtime Interface
//     Emulator, a pool of environments per function;
//   - serves the HTTP API: routes, payload format 2.0 events, the JWT authorizer against
//     Cognito's JWKS, CORS, throttling, the 10 MB body limit, Lambda's 6 MB payload
//     limits and timeouts;
//   - polls DynamoDB streams for the event source mappings (filters, batches, partial
//     batch responses, bisection, retries, record age, on-failure destinations), and SQS
//     queues (filters, batches, partial batch responses, concurrency; the queue's own
//     redrive to its dead-letter queue);
//   - invokes functions asynchronously for S3 event notifications, with Lambda's
//     retries, event age, destinations and dead-letter queues;
//   - expires items past their table's TTL, as DynamoDB does in the background;
//   - fires schedules on their rate or cron, or on demand;
//   - serves Cognito managed login, which moto lacks, for each user pool with a domain
//     or an app client with OAuth flows, on a port of its own (package managedlogin).
//
// Nothing in this package knows the project's functions or routes: a function or route
// added to the template appears without a change here.
package motostack
