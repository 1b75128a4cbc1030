package luabind

import "os"

// stderrWriter writes to the process's standard error at the time of each write.
type stderrWriter struct{}

func (stderrWriter) Write(p []byte) (int, error) { return os.Stderr.Write(p) }
