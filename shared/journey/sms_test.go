package journey_test

import (
	"strings"
	"testing"

	"github.com/journeygate/journeygate/shared/journey"
)

func TestNormalizeNumber(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{in: "+15551234567", want: "+15551234567"},
		{in: " +1 (555) 123-4567 ", want: "+15551234567"},
		{in: "+44.7700.900123", want: "+447700900123"},
		{in: "447700900123", want: "+447700900123"}, // as Vonage sends it
		{in: "0044 7700 900123", want: "+447700900123"},
		{in: "12345", want: "+12345"}, // a short code
		{in: "", err: "empty phone number"},
		{in: "+1 555 CALL NOW", err: `phone number "+1 555 CALL NOW" has 'C' at byte 7`},
		{in: "tel:+15551234567", err: `has 't' at byte 0`},
		{in: "1+5551234567", err: `has '+' at byte 1`},
		{in: "+12", err: "has 2 digits: want 3 to 15"},
		{in: "+1234567890123456", err: "has 16 digits: want 3 to 15"},
	} {
		got, err := journey.NormalizeNumber(c.in)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("NormalizeNumber(%q) = %q, %v; want error %q", c.in, got, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("NormalizeNumber(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if key, err := journey.SMSKey("+1 555 123 4567"); key != "sms/+15551234567" || err != nil {
		t.Errorf("SMSKey = %q, %v", key, err)
	}
}

func TestValidateSMSPool(t *testing.T) {
	j := valid("text-received", okStep("texted"))
	j.SMS = "numbers"
	err := journey.Validate([]journey.Journey{j})
	if err == nil || !strings.Contains(err.Error(), `journey "text-received": sms: pool "numbers" is not in needs: list it there too`) {
		t.Errorf("Validate = %v", err)
	}
	j.Needs = []string{"numbers"}
	if err := journey.Validate([]journey.Journey{j}); err != nil {
		t.Errorf("Validate = %v", err)
	}
}

func TestParseTextMalformed(t *testing.T) {
	txt := journey.ParseText(journey.Delivery{ID: "d-1", Body: []byte("To=+1555")})
	if txt.Malformed == nil || string(txt.Raw) != "To=+1555" || txt.ID != "d-1" {
		t.Errorf("ParseText = %+v", txt)
	}
}
