package models

import "gorm.io/gorm"

// DBForTest returns the store's GORM handle, for test support only: internal/testing/dbtest.DB
// hands it to tests that assert on tables directly, and the benchmark harness picks its fixtures
// with it.
// Production code reads and writes through the Store's named methods. TestSQLStaysInModels
// (imports_test.go) fails if a non-test file outside this package and the test-support packages
// it lists refers to DBForTest.
func DBForTest(s *Store) *gorm.DB { return s.db }
