//go:build !unix

package luabind_test

import "time"

// userSysCPU is not measured here (the CPU metrics read 0).
func userSysCPU() (user, sys time.Duration) { return 0, 0 }
