// Package archtest holds the test that checks the package graph against
// the rules of docs/architecture.md: which package may import which. It has
// no code of its own; run it with `go test ./internal/archtest`.
package archtest
