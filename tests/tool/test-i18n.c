/* jpki in Japanese: with LANG=ja_JP.UTF-8 (whether or not that locale is
 * installed) the messages come from po/ja.po in the citizen's words
 * (利用者証明用電子証明書, 署名用電子証明書, 暗証番号, 市区町村の窓口);
 * --json stays the same. The catalogue is the build tree's
 * (JPKI_LOCALEDIR, set by make check). */
#include "config.h"

#include "tool-test.h"
#include "tests/tap.h"

#define NOW 1811775600LL   /* 2027-06-01 00:00 JST */

int main(void)
{
	tt c;
	jp_emu_options o;

	if (getenv("JPKI_LOCALEDIR") == NULL)
		skip_all("JPKI_LOCALEDIR not set (run through make check)");
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	unsetenv("LANGUAGE");
	setenv("LANG", "ja_JP.UTF-8", 1);
	jp_tool_i18n();
	if (jp_crypto_init() != JP_OK) {
		printf("Bail out! crypto\n");
		return 99;
	}

	tt_card(&c, 1, NULL);
	tt_run(&c, NOW, NULL, "status", NULL);
	is_int(c.rc, 0, "exit status as in English");
	ok(tt_has(c.out, "カードリーダー: " TT_READER), "カードリーダー: <name>");
	ok(tt_has(c.out, "カード: マイナンバーカード"), "カード: マイナンバーカード");
	ok(tt_has(c.out, "利用者証明用電子証明書: 有効"), "利用者証明用電子証明書: 有効");
	ok(tt_has(c.out, "有効期限 2031-07-15（残り 1505 日）"), "有効期限 2031-07-15（残り 1505 日）");
	ok(tt_has(c.out, "2031-04-15 から市区町村の窓口で更新できます"), "renewal at 市区町村の窓口 from 2031-04-15");
	ok(tt_has(c.out, "利用者証明用暗証番号（数字4桁）: 残り回数 3（最大 3）"), "利用者証明用暗証番号: 残り回数 3");
	ok(tt_has(c.out, "署名用電子証明書: あり"), "署名用電子証明書: あり");
	ok(strstr(c.out, "tries left") == NULL && strstr(c.out, "Certificate") == NULL, "no English left");
	tt_run(&c, NOW, NULL, "status", "--json", NULL);
	ok(tt_has(c.out, "\"card\": \"mynumber\"") && tt_has(c.out, "\"state\": \"valid\""),
	   "--json keeps its English keys and values");

	tt_run(&c, NOW, "9999\n5555\n5555\n", "change-pin", "auth", "--pin-stdin", NULL);
	ok(c.rc == 1 && tt_has(c.err, "現在の暗証番号が違います。残り回数 2"), "change-pin: 現在の暗証番号が違います");
	tt_run(&c, NOW, "12\n", "change-pin", "auth", "--pin-stdin", NULL);
	ok(tt_has(c.err, "利用者証明用暗証番号は数字4桁です"), "malformed: the rule in Japanese");
	tt_stop(&c);

	memset(&o, 0, sizeof(o));
	o.validity = 1;
	o.valid_from_days = -365;
	o.expire_days = -1;
	tt_card(&c, 1, &o);
	tt_run(&c, (int64_t)time(NULL), NULL, "status", NULL);
	ok(tt_has(c.out, "有効期限切れ") && tt_has(c.out, "市区町村の窓口で更新してください"),
	   "expired: 有効期限切れ, 市区町村の窓口で更新してください");
	tt_stop(&c);

	tt_card(&c, 1, NULL);
	tt_apdus(c.e, "00A4040C0AD392F000260100000001", "00A4020C020018",
	         "002000800430303030", "002000800430303030", "002000800430303030", NULL);
	tt_run(&c, NOW, NULL, "status", NULL);
	ok(tt_has(c.out, "ロック中: 初期化は市区町村の窓口でのみできます"), "blocked: ロック中, 市区町村の窓口");
	tt_stop(&c);

	memset(&o, 0, sizeof(o));
	o.kind = JP_EMU_JUKI;
	tt_card(&c, 1, &o);
	tt_run(&c, NOW, NULL, "status", NULL);
	ok(tt_has(c.out, "住民基本台帳カード（住基カード）"), "住基カード named");
	tt_stop(&c);

	jp_crypto_fini();
	done_testing();
}
