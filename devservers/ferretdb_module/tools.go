//go:build tools

// Package tools pins the FerretDB release the test harness builds and runs as its MongoDB-wire server.
package tools

import _ "github.com/FerretDB/FerretDB/cmd/ferretdb"
