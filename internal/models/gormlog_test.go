package models

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"

	"github.com/syncd-dev/syncd/internal/logging"
)

// The GORM adapter never writes bind values (tenant data, credentials) into logs.
func TestGORMLogsNoBindValues(t *testing.T) {
	var buf bytes.Buffer
	log, err := logging.New(logging.Config{Level: "debug", Output: &buf})
	if err != nil {
		t.Fatal(err)
	}
	db, err := gorm.Open(sqlite.Open("file::memory:"), &gorm.Config{Logger: newGORMLogger(log).LogMode(gormlogger.Info)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db.WithContext(ctx).Exec("SELECT ? AS secret", "s3cret-token")
	db.WithContext(ctx).Exec("SELECT * FROM no_such_table WHERE token = ?", "s3cret-token")
	out := buf.String()
	if strings.Contains(out, "s3cret-token") {
		t.Errorf("a bind value reached the log:\n%s", out)
	}
	if !strings.Contains(out, `"msg":"sql failed"`) || !strings.Contains(out, "no_such_table WHERE token = ?") {
		t.Errorf("the failed statement was not logged with its placeholders:\n%s", out)
	}
}
