// Package proc holds the emulator's few process controls that differ between systems:
// child processes in a group of their own that dies with the emulator, and signals to
// that group. On Linux a child also gets a parent-death signal, so moto and the Lambda
// runtimes never outlive a killed emulator; elsewhere Stop must run to reach them.
package proc
