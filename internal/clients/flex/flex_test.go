package flex_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/flex"
)

func TestScalars(t *testing.T) {
	type rec struct {
		I flex.Int    `json:"i"`
		F flex.Float  `json:"f"`
		S flex.String `json:"s"`
		B flex.Bool   `json:"b"`
		T flex.Time   `json:"t"`
		D flex.ID     `json:"d"`
	}
	cases := []struct {
		name    string
		in      string
		want    rec
		wantErr bool
	}{
		{"native types", `{"i":3,"f":2.5,"s":"x","b":true,"t":"2024-10-05T18:53:03.406168Z","d":12}`,
			rec{flex.Int{V: 3, Valid: true}, flex.Float{V: 2.5, Valid: true}, flex.String{V: "x", Valid: true},
				flex.Bool{V: true, Valid: true}, flex.Time{V: time.Date(2024, 10, 5, 18, 53, 3, 406168000, time.UTC), Valid: true},
				flex.ID{Text: "12", Int: 12, IsInt: true}}, false},
		{"numbers as strings", `{"i":"3","f":"1,925.00","s":42,"b":"yes","t":"2022-06-05T00:34:00","d":"12"}`,
			rec{flex.Int{V: 3, Valid: true}, flex.Float{V: 1925, Valid: true}, flex.String{V: "42", Valid: true},
				flex.Bool{V: true, Valid: true}, flex.Time{V: time.Date(2022, 6, 5, 0, 34, 0, 0, time.UTC), Valid: true},
				flex.ID{Text: "12", Int: 12, IsInt: true}}, false},
		{"nulls and empties", `{"i":null,"f":"","s":null,"b":"","t":"","d":null}`, rec{}, false},
		{"absent", `{}`, rec{}, false},
		{"float id and int", `{"i":4.0,"d":7.0}`, rec{I: flex.Int{V: 4, Valid: true}, D: flex.ID{Text: "7", Int: 7, IsInt: true}}, false},
		{"text id", `{"d":"P1234-567"}`, rec{D: flex.ID{Text: "P1234-567"}}, false},
		{"date only and space separated", `{"t":"2024-01-02 03:04:05"}`, rec{T: flex.Time{V: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Valid: true}}, false},
		{"unix seconds", `{"t":1700000000}`, rec{T: flex.Time{V: time.Unix(1700000000, 0).UTC(), Valid: true}}, false},
		{"object where a number belongs", `{"i":{"a":1}}`, rec{}, true},
		{"fractional int", `{"i":"2.5"}`, rec{}, true},
		{"garbage time", `{"t":"next tuesday"}`, rec{}, true},
		{"garbage bool", `{"b":"maybe"}`, rec{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got rec
			err := json.Unmarshal([]byte(tc.in), &got)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if !tc.wantErr && got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
