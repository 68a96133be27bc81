package panels

import (
	"os"
	"testing"

	"sifa/warehouse/whtest"
)

// TestMain stops the ClickHouse server the package's tests shared.
func TestMain(m *testing.M) {
	code := m.Run()
	whtest.StopShared()
	os.Exit(code)
}
