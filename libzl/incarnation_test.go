package libzl

import (
	"os"
	"testing"
)

func TestIncarnation(t *testing.T) {
	tests := []struct {
		name  string
		value string
		unset bool
		want  uint32
	}{
		{name: "absent", unset: true, want: 0},
		{name: "empty", value: "", want: 0},
		{name: "zero", value: "0", want: 0},
		{name: "first restart", value: "1", want: 1},
		{name: "later restart", value: "42", want: 42},
		{name: "largest", value: "4294967295", want: 4294967295},
		{name: "leading zeros", value: "007", want: 7},
		{name: "beyond 32 bits", value: "4294967296", want: 0},
		{name: "negative", value: "-1", want: 0},
		{name: "plus sign", value: "+1", want: 0},
		{name: "spaces", value: " 3", want: 0},
		{name: "trailing newline", value: "3\n", want: 0},
		{name: "hexadecimal", value: "0x3", want: 0},
		{name: "word", value: "three", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Setenv first, so that the variable is restored afterwards
			// even when the test unsets it.
			t.Setenv(IncarnationEnv, tt.value)
			if tt.unset {
				if err := os.Unsetenv(IncarnationEnv); err != nil {
					t.Fatal(err)
				}
			}
			if got := Incarnation(); got != tt.want {
				t.Errorf("Incarnation() with %s=%q = %d, want %d", IncarnationEnv, tt.value, got, tt.want)
			}
			if got, want := Restarted(), tt.want > 0; got != want {
				t.Errorf("Restarted() with %s=%q = %v, want %v", IncarnationEnv, tt.value, got, want)
			}
		})
	}
}
