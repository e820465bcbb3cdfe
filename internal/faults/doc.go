// Package faults holds the fault-injection tests of minerights: the
// database stopped and restarted under load, server processes killed in the
// middle of timed bidding. They run on a cluster of their own, so stopping
// it disturbs no other test.
package faults
