package cjson

import (
	"encoding/json"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// doc1K is a typical ~1 KiB API object: strings, integers, floats, booleans, null, a nested
// object and arrays.
const doc1K = `{"id":1234567,"type":"message","room":"general","user":{"id":42,"name":"Ada Lovelace",` +
	`"email":"ada@example.com","roles":["admin","editor","viewer"],"verified":true,"score":98.6,` +
	`"avatar":"https://cdn.example.com/avatars/42.png"},"text":"Hello, world! This is a chat message ` +
	`with some \"quoted\" text, a tab\tand a newline\n, plus unicode: caf\u00e9.","ts":1700000000.123,` +
	`"tags":["greeting","intro","test","benchmark"],"attachments":[{"kind":"image","url":"https://cdn.` +
	`example.com/i/1.jpg","w":640,"h":480},{"kind":"link","url":"https://example.org/page","w":0,"h":0}],` +
	`"reactions":{"like":12,"love":3,"laugh":0},"edited":false,"reply_to":null,"priority":2,` +
	`"meta":{"client":"web","version":"1.2.3","ip":"203.0.113.7","lat":51.5074,"lon":-0.1278},` +
	`"seq":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16],"ok":true}`

type benchUser struct {
	ID       int      `json:"id"`
	Name     string   `json:"name"`
	Email    string   `json:"email"`
	Roles    []string `json:"roles"`
	Verified bool     `json:"verified"`
	Score    float64  `json:"score"`
	Avatar   string   `json:"avatar"`
}

type benchAttachment struct {
	Kind string `json:"kind"`
	URL  string `json:"url"`
	W    int    `json:"w"`
	H    int    `json:"h"`
}

type benchDoc struct {
	ID          int               `json:"id"`
	Type        string            `json:"type"`
	Room        string            `json:"room"`
	User        benchUser         `json:"user"`
	Text        string            `json:"text"`
	TS          float64           `json:"ts"`
	Tags        []string          `json:"tags"`
	Attachments []benchAttachment `json:"attachments"`
	Reactions   map[string]int    `json:"reactions"`
	Edited      bool              `json:"edited"`
	ReplyTo     *int              `json:"reply_to"`
	Priority    int               `json:"priority"`
	Meta        map[string]any    `json:"meta"`
	Seq         []int             `json:"seq"`
	OK          bool              `json:"ok"`
}

func benchState(b *testing.B) (*lua.LState, *lua.LTable) {
	L := newTestState(b)
	if err := L.DoString(`cjson = require "cjson"`); err != nil {
		b.Fatal(err)
	}
	return L, L.GetGlobal("cjson").(*lua.LTable)
}

func BenchmarkEncode1K(b *testing.B) {
	L, mod := benchState(b)
	fn := mod.RawGetString("encode")
	if err := L.CallByParam(lua.P{Fn: mod.RawGetString("decode"), NRet: 1}, lua.LString(doc1K)); err != nil {
		b.Fatal(err)
	}
	tbl := L.Get(-1)
	L.Pop(1)
	b.SetBytes(int64(len(doc1K)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := L.CallByParam(lua.P{Fn: fn, NRet: 1}, tbl); err != nil {
			b.Fatal(err)
		}
		L.Pop(1)
	}
}

func BenchmarkDecode1K(b *testing.B) {
	L, mod := benchState(b)
	fn := mod.RawGetString("decode")
	src := lua.LString(doc1K)
	b.SetBytes(int64(len(doc1K)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := L.CallByParam(lua.P{Fn: fn, NRet: 1}, src); err != nil {
			b.Fatal(err)
		}
		L.Pop(1)
	}
}

// Go-native baselines on the same document: encoding/json with map[string]any and a struct.

func BenchmarkEncode1KGoMap(b *testing.B) {
	var m map[string]any
	if err := json.Unmarshal([]byte(doc1K), &m); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc1K)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode1KGoStruct(b *testing.B) {
	var d benchDoc
	if err := json.Unmarshal([]byte(doc1K), &d); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc1K)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(&d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode1KGoMap(b *testing.B) {
	src := []byte(doc1K)
	b.SetBytes(int64(len(doc1K)))
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(src, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode1KGoStruct(b *testing.B) {
	src := []byte(doc1K)
	b.SetBytes(int64(len(doc1K)))
	b.ReportAllocs()
	for b.Loop() {
		var d benchDoc
		if err := json.Unmarshal(src, &d); err != nil {
			b.Fatal(err)
		}
	}
}
