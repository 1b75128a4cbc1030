package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procTree returns pid and its descendants (nginx's master and workers).
func procTree(pid int) []int {
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(out[i]) + "/task")
		for _, t := range tasks {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(out[i]) + "/task/" + t.Name() + "/children")
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if c, err := strconv.Atoi(f); err == nil {
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// cpuTime is the CPU time the process tree of pid has used: the sum of its threads'
// schedstat run times (nanoseconds, unlike the 10 ms ticks of /proc/PID/stat).
func cpuTime(pid int) time.Duration {
	var total time.Duration
	for _, p := range procTree(pid) {
		dir := "/proc/" + strconv.Itoa(p) + "/task"
		tasks, _ := os.ReadDir(dir)
		for _, t := range tasks {
			b, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
			if err != nil {
				continue
			}
			if f := strings.Fields(string(b)); len(f) > 0 {
				ns, _ := strconv.ParseInt(f[0], 10, 64)
				total += time.Duration(ns)
			}
		}
	}
	return total
}

// userSysTicks is the user and system time of the process tree of pid in clock ticks (the
// 10 ms units of /proc/PID/task/TID/stat, fields 14 and 15): coarse, but it splits the
// schedstat total of cpuTime into user and kernel time.
func userSysTicks(pid int) (user, sys int64) {
	for _, p := range procTree(pid) {
		dir := "/proc/" + strconv.Itoa(p) + "/task"
		tasks, _ := os.ReadDir(dir)
		for _, t := range tasks {
			b, err := os.ReadFile(dir + "/" + t.Name() + "/stat")
			if err != nil {
				continue
			}
			// the command (field 2) is in parentheses and may hold spaces: count after it
			s := string(b)
			i := strings.LastIndexByte(s, ')')
			if i < 0 {
				continue
			}
			f := strings.Fields(s[i+1:])
			if len(f) < 13 {
				continue
			}
			u, _ := strconv.ParseInt(f[11], 10, 64)
			k, _ := strconv.ParseInt(f[12], 10, 64)
			user += u
			sys += k
		}
	}
	return user, sys
}

// rssBytes is the resident set of the process tree of pid.
func rssBytes(pid int) int64 {
	var total int64
	for _, p := range procTree(pid) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/status")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				total += kb * 1024
			}
		}
	}
	return total
}

// selfCPU is the generator's own CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
