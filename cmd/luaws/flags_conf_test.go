package main

import (
	"io"
	"strings"
	"testing"
)

func TestDuplicateLocationFlag(t *testing.T) {
	_, err := parseFlags([]string{"--location", "/a=x.lua", "--location", "/a=y.lua"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "/a is given twice (x.lua and y.lua)") {
		t.Fatalf("got %v", err)
	}
	if _, err := parseFlags([]string{"--location", "/a=x.lua", "--location", "/b=x.lua"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
}
