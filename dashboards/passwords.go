package dashboards

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/crypto/bcrypt"
)

// PasswordRules are what a new password must satisfy (from the configuration).
type PasswordRules struct {
	MinLength int // characters; default 10
	// MinClasses of lower case, upper case, digits and other characters; default 3
	MinClasses int
}

// DefaultAdminPassword is the password of the admin account sifa creates on
// an empty warehouse. sifa serve refuses to listen beyond this machine until
// it is changed.
const DefaultAdminPassword = "sifa-admin-2014"

// Check says what is wrong with a new password, in words a clerk understands.
func (p PasswordRules) Check(pw, user string) error {
	n, classes := p.MinLength, p.MinClasses
	if n <= 0 {
		n = 10
	}
	if classes <= 0 {
		classes = 3
	}
	if len([]rune(pw)) < n {
		return fmt.Errorf("密码至少要 %d 位", n)
	}
	if len(pw) > 72 {
		return errors.New("密码太长了（最多 72 个字节）")
	}
	var lower, upper, digit, other bool
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	have := 0
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			have++
		}
	}
	if have < classes {
		return fmt.Errorf("密码要包含小写字母、大写字母、数字、符号中的至少 %d 种", classes)
	}
	if user != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(user)) {
		return errors.New("密码里不能含有账号名")
	}
	if pw == DefaultAdminPassword {
		return errors.New("不能使用初始密码")
	}
	return nil
}

// HashPassword hashes a password with bcrypt.
func HashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	return string(h), err
}

// PasswordMatches says whether pw is the password a hash was made from.
func PasswordMatches(hash, pw string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}
