// Package demo holds what the web server demo, the CGI demo and their load
// generator agree on: content that every party can compute on its own, so
// that a client can check every byte of every response, and the journal
// format of the CGI demo's orders.
package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
)

// StaticCount is the number of static files the web server demo serves.
const StaticCount = 16

// StaticName returns the name of static file i, for 0 <= i < StaticCount.
func StaticName(i int) string { return fmt.Sprintf("file-%02d.bin", i) }

// StaticSize returns the size of static file i: from 100 bytes to 300 KiB,
// so that some fit one segment and others take many socket buffers.
func StaticSize(i int) int {
	sizes := [...]int{100, 1000, 4096, 10000, 65536, 100000, 300 << 10, 1}
	return sizes[i%len(sizes)] + i
}

// StaticContent returns the content of static file i.
func StaticContent(i int) []byte { return Bytes(uint64(i)+0x5eed, StaticSize(i)) }

// Bytes returns n pseudo-random bytes from seed (splitmix64), the same on
// every machine and in every incarnation.
func Bytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	x := seed
	for i := 0; i < n; i += 8 {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(z >> (8 * j))
		}
	}
	return b
}

// MaxDynamicSize is the largest size GET /dyn serves.
const MaxDynamicSize = 4 << 20

// Dynamic returns the body of GET /dyn?seed=S&size=N.
func Dynamic(seed uint64, size int) []byte { return Bytes(seed^0xd1ce, size) }

// IdempotencyHeader is the request header that carries the key of a CGI
// order: a replayed or retried order with the same key is recorded once.
const IdempotencyHeader = "Idempotency-Key"

// CGIResponse returns the body the CGI demo answers to an order posted with
// key and body: a header block with the key, the length and the SHA-256 of
// the body, an empty line, and then the body with every byte XORed with
// 0x5a (a transform that touches every byte, so a corrupted replay shows).
func CGIResponse(key string, body []byte) []byte {
	sum := sha256.Sum256(body)
	head := "key: " + key + "\nlength: " + strconv.Itoa(len(body)) +
		"\nsha256: " + hex.EncodeToString(sum[:]) + "\n\n"
	out := make([]byte, len(head)+len(body))
	copy(out, head)
	for i, c := range body {
		out[len(head)+i] = c ^ 0x5a
	}
	return out
}

// JournalLine returns the line the CGI demo appends to its order journal
// for an order, newline included. Keys must not contain white space.
func JournalLine(key string, body []byte) string {
	sum := sha256.Sum256(body)
	return key + " " + strconv.Itoa(len(body)) + " " + hex.EncodeToString(sum[:]) + "\n"
}
