/**
 * Requests that must always reach a person, whatever the model thinks of them: taking over an
 * account (change the login email or phone, send the reset link elsewhere, turn off 2FA), redirecting
 * money (new bank details / IBAN / payout account, pay a new party, gift cards, crypto) and a
 * "CEO" asking for a payment. Each pattern set covers English, German, French, Spanish, Italian,
 * Portuguese, Dutch, Russian, Japanese and Chinese, and reads the folded text (lib/guard/fold.ts).
 */
import { firstMatch, foldText, unicodeWords } from './fold';
import type { FoldedText } from './fold';

/** A gap of up to n characters inside one sentence. */
const G = (n: number) => `(?:[^.!?\\n。！？]|[.!?](?=[^\\s.!?])){0,${n}}`;
const alt = (...parts: string[]) => `(?:${parts.join('|')})`;
/** `a` then `b` within n characters, or `b` then `a`. */
const near = (a: string, b: string, n = 60) => new RegExp(`${a}${G(n)}${b}|${b}${G(n)}${a}`);

const CHANGE = alt(
	// en
	'\\b(change|changing|update|updating|replace|switch|modify|amend|move|edit)\\b',
	'\\bset (it|the \\w+|my \\w+) to\\b',
	// de
	'\\b(ändern|ändere|änderen|geändert|aktualisieren|aktualisiert|ersetzen|umstellen|umgestellt|wechseln|tauschen|hinterlegen|umändern)\\b',
	// fr
	'\\b(changer|changez|change[rz]?|modifier|modifiez|remplacer|remplacez|mettre à jour|mettez à jour|mise à jour)\\b',
	// es
	'\\b(cambiar|cambie|cambien|cambia|actualizar|actualice|actualicen|modificar|modifique|modifiquen|reemplazar|reemplace|sustituir)\\b',
	// it
	'\\b(cambiare|cambiate|cambi|modificare|modificate|modifichi|aggiornare|aggiornate|aggiorni|sostituire|sostituite)\\b',
	// pt
	'\\b(alterar|altere|alterem|mudar|mude|mudem|atualizar|atualize|atualizem|trocar|troque|substituir)\\b',
	// nl
	'\\b(wijzigen|wijzig|veranderen|verander|aanpassen|bijwerken|vervangen|vervang|omzetten)\\b',
	// ru
	'(изменить|измените|измени|поменять|поменяйте|поменяй|сменить|смените|смени|обновить|обновите|заменить|замените|перепривязать)',
	// ja / zh
	'(変更|変えて|変える|更新|切り替え|差し替え|更改|修改|更换|更換|变更|變更|换成|換成|改成|改为|改為)',
);

const ACCOUNT_CONTACT = alt(
	// en
	'\\b(login|log-in|log in|sign-in|sign in|account|registered|recovery|primary|contact)\\s?(e-?mail|e-?mail address|phone|phone number|mobile|mobile number)\\b',
	'\\b(login|account|sign-in) (name|username|id)\\b|\\busername\\b',
	'\\b(e-?mail|email address|phone number|mobile number)\\b' +
		G(25) +
		'\\b(on|for|of|linked to|associated with|registered (to|on|with)|attached to|tied to) (my|the|our|this) (account|profile|login)\\b',
	'\\b(account|profile) (owner|holder|e-?mail|contact)\\b',
	// de
	'\\b(login|anmelde|konto|account|benutzer|kunden|zugangs)[- ]?(e-mail-adresse|e-mail|email|mailadresse|telefonnummer|handynummer|name)\\b',
	'\\b(e-mail-adresse|e-mail|telefonnummer|handynummer)\\b' +
		G(25) +
		'\\b(meines|des|im|in meinem|von meinem|für mein|für das) (kontos?|accounts?|benutzerkontos?|kundenkontos?|profils?)\\b',
	// fr
	'\\b(e-?mail|adresse e-?mail|adresse mail|courriel|numéro de téléphone|numéro de portable|téléphone|identifiant)\\b' +
		G(25) +
		'\\b(de connexion|du compte|de mon compte|associée? (à|au) (mon |mon )?compte|liée? (à|au) (mon )?compte|de mon profil)\\b',
	// es
	'\\b(correo|e-?mail|correo electrónico|teléfono|número de teléfono|celular|móvil|usuario)\\b' +
		G(25) +
		'\\b(de (inicio de sesión|acceso|la cuenta|mi cuenta)|asociad[oa] a (mi|la) cuenta|vinculad[oa] a (mi|la) cuenta|de mi perfil)\\b',
	// it
	'\\b(e-?mail|indirizzo e-?mail|numero di telefono|cellulare|telefono|nome utente)\\b' +
		G(25) +
		"\\b(di accesso|di login|dell'account|del (mio )?account|associat[oa] (al|all'|a) (mio )?account|del (mio )?profilo)\\b",
	// pt
	'\\b(e-?mail|endereço de e-?mail|telefone|número de telefone|celular|telemóvel|usuário|utilizador)\\b' +
		G(25) +
		'\\b(de (login|acesso)|da (minha )?conta|associad[oa] à (minha )?conta|vinculad[oa] à (minha )?conta|do (meu )?perfil)\\b',
	// nl
	'\\b(inlog|login|account|gebruikers)[- ]?(e-mailadres|e-mail|emailadres|mailadres|telefoonnummer|naam)\\b',
	'\\b(e-mailadres|e-mail|telefoonnummer)\\b' +
		G(25) +
		'\\b(van|op|bij|voor) (mijn|het|ons) (account|profiel)\\b',
	// ru
	'(почт[уаы]|email|e-mail|адрес электронной почты|электронн(ую|ой) почт[уы]|номер телефона|телефон|логин)' +
		G(25) +
		'(для входа|от (аккаунта|учетной записи|учётной записи|профиля)|(аккаунта|учетной записи|учётной записи|профиля|личного кабинета))',
	// ja / zh
	'(ログイン|アカウント|登録)(用の?|の)?(メールアドレス|メール|電話番号|携帯番号|ユーザー名)',
	'(登录|登錄|账户|账号|帳戶|帳號|注册|註冊)(的)?(邮箱|郵箱|电子邮件|電子郵件|手机号|手機號|电话|電話|用户名|用戶名)',
);

const TWO_FACTOR = alt(
	'\\b(2fa|mfa|2-fa|otp|two[- ]?factor|two[- ]?step|2[- ]?step|multi[- ]?factor|authenticator|sms (verification|code)|security (key|questions?)|zwei-?faktor|2-faktor|zweistufig\\w*|double authentification|authentification à (deux|2) facteurs|vérification en (deux|2) étapes|autenticación (de|en) (dos|2) (factores|pasos)|verificación en (dos|2) pasos|autenticazione a (due|2) fattori|verifica in (due|2) passaggi|autenticação (de|em) (dois|2) fatores|verificação em (duas|2) etapas|tweestapsverificatie|twee-?factor\\w*|tweestaps\\w*)\\b',
	'(двухфакторн\\w*|двухэтапн\\w*|2段階認証|二段階認証|二要素認証|2要素認証|双重验证|雙重驗證|两步验证|兩步驗證|双因素|雙因素|二次验证|二次驗證)',
);

const DISABLE = alt(
	'\\b(disable|turn off|switch off|remove|deactivate|reset|bypass|skip|change|update|drop|unlink|delete)\\b',
	'\\b(deaktivier\\w*|ausschalten|abschalten|entfernen|zurücksetzen|ändern|aufheben)\\b',
	'\\b(désactive[rz]?|supprime[rz]?|retire[rz]?|réinitialise[rz]?|contourne[rz]?|enlever|enlevez)\\b',
	'\\b(desactivar|desactive|desactiven|quitar|quite|eliminar|elimine|restablecer|saltar)\\b',
	'\\b(disattivare|disattiva|disattivate|rimuovere|rimuovete|togliere|togliete|reimpostare)\\b',
	'\\b(desativar|desative|desliguem?|desligar|remover|remova|redefinir)\\b',
	'\\b(uitschakelen|schakel|uitzetten|verwijderen|verwijder|resetten)\\b',
	'(отключить|отключите|отключи|выключить|выключите|убрать|уберите|сбросить|сбросьте|удалить|удалите)',
	'(無効|解除|オフ|リセット|外して|关闭|關閉|取消|禁用|解除|重置|去掉)',
);

const CODE_OR_LINK = alt(
	'\\b(reset|recovery|login|log-in|sign-in|verification|confirmation|one-time|2fa|otp|security|magic|access|password)\\s?(link|code|e-?mail|token|pin|url)s?\\b',
	'\\b(reset|zurücksetz\\w*|passwort|bestätigungs|verifizierungs|anmelde|login|sicherheits)[- ]?(link|code|mail|e-mail)s?\\b',
	'\\b(lien|code|e-?mail) (de )?(réinitialisation|connexion|vérification|confirmation|sécurité)\\b',
	'\\b(enlace|link|código|correo) (de )?(restablecimiento|recuperación|acceso|verificación|confirmación|seguridad|inicio de sesión)\\b',
	'\\b(link|codice|e-?mail) (di )?(reset|reimpostazione|recupero|accesso|verifica|conferma|sicurezza)\\b',
	'\\b(link|código|e-?mail) (de )?(redefinição|recuperação|acesso|verificação|confirmação|segurança)\\b',
	'\\b(reset|herstel|inlog|verificatie|bevestigings)[- ]?(link|code|mail)s?\\b',
	'(ссылк[уаи]|код)' + G(20) + '(сброс\\w*|восстановлени\\w*|вход\\w*|подтверждени\\w*)',
	'(リセット|再設定|認証|確認|ログイン)(用の?)?(リンク|コード|url)',
	'(重置|重設|验证|驗證|登录|登錄|确认|確認)(链接|鏈接|连结|連結|码|碼|邮件|郵件)',
);

const SEND = alt(
	'\\b(send|sent|forward|email|e-mail|text|deliver|resend|mail|redirect)\\b',
	'\\b(schick\\w*|send\\w*|weiterleit\\w*|zusend\\w*|envoy\\w*|transf[eé]r\\w*|renvoy\\w*|envi\\w*|mand\\w*|reenví\\w*|invia\\w*|inoltr\\w*|stuur\\w*|verstuur\\w*|verzend\\w*)\\b',
	'(отправ\\w*|пришли\\w*|перешли\\w*|высл\\w*|送って|送信|転送|送付|发送|發送|发到|發到|转发|轉發|寄到)',
);

const ELSEWHERE = alt(
	'\\b(to|at|onto) (this (address|e-?mail|email address|number|phone|account)|my new|a new|a different|another|my other|my personal|my private|my work|my alternative|my backup|the following|my current)\\b',
	'\\b(an|auf) (diese|meine neue|eine neue|eine andere|folgende|meine private|meine andere|die neue)\\b',
	"\\b(à|sur|vers) (cette|ma nouvelle|une nouvelle|une autre|l'adresse suivante|mon autre|mon adresse personnelle)\\b",
	'\\b(a|al) (este|esta|mi nuevo|mi nueva|otro|otra|la siguiente|el siguiente)\\b',
	"\\b(a|al|all'|su) (questo|questa|mio nuovo|mia nuova|un altro|un'altra|il seguente|la seguente)\\b",
	'\\b(para|a|ao|no) (este|esta|meu novo|minha nova|outro|outra|o seguinte|a seguinte)\\b',
	'\\b(naar|aan|op) (dit|deze|mijn nieuwe|een ander|een andere|het volgende|het nieuwe)\\b',
	'на (этот|эту|мой новый|мою новую|новый|новую|другой|другую|следующий|следующую)',
	'(別の|新しい|こちらの|以下の|下記の)',
	'(新的|另一个|另一個|这个|這個|以下|下面的)',
);

const NEW_PARTY = alt(
	"\\b(new|updated|different|another|alternative|changed|other|separate|third[- ]party|friend's|partner's|wife's|husband's|sister's|brother's|mother's|father's|colleague's)\\b",
	'\\b(neue[nrs]?|aktualisierte[nrs]?|andere[nrs]?|geänderte[nrs]?)\\b',
	'\\b(nouve(au|aux|l|lle|lles)|autres?|différente?s?)\\b',
	'\\b(nuev[oa]s?|otr[oa]|distint[oa]|diferente)\\b',
	'\\b(nuov[oaie]|altr[oa]|divers[oa])\\b',
	'\\b(nov[oa]s?|outr[oa]|diferente)\\b',
	'\\b(nieuwe?|ander(e)?|gewijzigde)\\b',
	'(нов(ый|ые|ую|ого|ым|ая|ой)|друг(ой|ую|ие))',
	'(新しい|新たな|別の|変更後の|新的|新|另一个|另一個|其他)',
);

const BANK = alt(
	'\\b(bank (details|account|information|info|data)|banking (details|information)|account (number|details)|iban|swift|bic|sort code|routing number|payout (account|details|method|address|destination)|payment (details|information|account|instructions|destination)|remittance (details|information)|wallet address|paypal (account|address|e-?mail)|beneficiary)\\b',
	'\\b(bankverbindung|bankdaten|kontodaten|kontonummer|auszahlungskonto|zahlungsdaten|zahlungsinformationen|bankkonto|empfängerkonto|zahlungsempfänger)\\b',
	'\\b(coordonnées bancaires|rib|compte bancaire|numéro de compte|coordonnées de paiement|informations bancaires|bénéficiaire)\\b',
	'\\b(datos bancarios|cuenta bancaria|número de cuenta|cuenta de pago|datos de pago|clabe|beneficiario)\\b',
	'\\b(coordinate bancarie|dati bancari|conto corrente|numero di conto|dati di pagamento|beneficiario)\\b',
	'\\b(dados bancários|conta bancária|número da conta|nib|chave pix|dados de pagamento|beneficiário)\\b',
	'\\b(bankgegevens|rekeningnummer|bankrekening|betaalgegevens|uitbetalingsrekening|begunstigde)\\b',
	'(банковские реквизиты|реквизит\\w*|номер сч[её]та|банковск\\w* сч[её]т|платежные данные|платёжные данные|получател\\w*)',
	'(振込先|銀行口座|口座番号|口座情報|支払先|受取口座|银行账户|銀行帳戶|银行卡|銀行卡|收款账户|收款帳戶|收款账号|收款帳號|银行信息|銀行資訊|汇款账户|匯款帳戶|收款人)',
);

const MONEY_OUT = alt(
	'\\b(refund|refunds|refunded|pay|paid|payment|send|transfer|wire|remit|credit|deposit|payout|reimburse)\\b',
	'\\b(erstatt\\w*|rückerstatt\\w*|zahl\\w*|überweis\\w*|auszahl\\w*|gutschr\\w*)\\b',
	'\\b(rembours\\w*|pai\\w*|pay\\w*|vir\\w*|vers\\w*)\\b',
	'\\b(reembols\\w*|pag\\w*|transfer\\w*|deposit\\w*|abon\\w*)\\b',
	'\\b(rimbors\\w*|pagh\\w*|pagam\\w*|bonific\\w*|accredit\\w*|versa\\w*)\\b',
	'\\b(reembols\\w*|pag\\w*|transfer\\w*|deposit\\w*|estorn\\w*)\\b',
	'\\b(terugbeta\\w*|beta\\w*|overmak\\w*|overboek\\w*|stort\\w*)\\b',
	'(верн\\w*|возврат\\w*|оплат\\w*|плат\\w*|перевед\\w*|перевод\\w*|перечисл\\w*)',
	'(返金|振込|振り込|送金|支払|払い戻|退款|付款|转账|轉帳|汇款|匯款|打款|支付)',
);

const GIFT_CARD = alt(
	'\\b(gift ?cards?|itunes cards?|apple cards?|google play cards?|steam cards?|amazon cards?|prepaid cards?|vouchers? codes?|geschenkkarten?|gutscheinkarten?|cartes? cadeaux?|cartes? prépayées?|tarjetas? (de )?regalo|carte regalo|cartões? (de )?presente|cartões? pré-pagos?|cadeaukaart(en)?|cadeaubon(nen)?)\\b',
	'(подарочн\\w* карт\\w*|ギフトカード|プリペイドカード|礼品卡|禮品卡|购物卡|購物卡|充值卡)',
);
const GIFT_CODES = alt(
	'\\b(codes|pins|card numbers|photos?|pictures?|scratch\\w*|codes?)\\b',
	"\\b(codes?|fotos?|kartennummern)\\b|\\b(codes?|photos?|numéros)\\b|\\b(códigos?|fotos?|números)\\b|\\b(codici|foto|numeri)\\b|\\b(codes?|foto's)\\b",
	'(код\\w*|фото\\w*|コード|写真|卡号|卡號|卡密|密码|密碼|照片)',
);
const GIFT_SEND = alt(
	'\\b(send|email|e-mail|text|forward|reply with|share|give me|upload)\\b',
	'\\b(schick\\w*|send\\w*|mail\\w*|weiterleit\\w*|envoy\\w*|transmet\\w*|envi\\w*|mand\\w*|invia\\w*|inoltr\\w*|stuur\\w*|verstuur\\w*|mail\\w*)\\b',
	'(пришли\\w*|отправ\\w*|перешли\\w*|送って|送信|送る|教えて|发给|發給|发送|發送|发我|發我)',
);
const GIFT_BUY = alt(
	'\\b(buy|purchase|pick up|grab)\\b',
	'\\b(kauf\\w*|besorg\\w*|achet\\w*|compr\\w*|koop|kopen)\\b',
	'(купи\\w*|購入|買って|买|買|购买|購買)',
);

const CRYPTO =
	'\\b(bitcoin|btc|usdt|tether|ethereum|eth|crypto(currency)?|krypto\\w*|cripto\\w*|crypto-?monnaie|western union|moneygram|криптовалют\\w*|биткоин\\w*|比特币|比特幣|加密货币|加密貨幣|暗号資産|ビットコイン)\\b';

const EXEC = alt(
	'\\b(ceo|cfo|coo|chief executive|chief financial( officer)?|managing director|president|founder|owner of the company|chairman|director general)\\b',
	'\\b(geschäftsführer(in)?|vorstand(svorsitzende[rn]?)?|inhaber(in)?|finanzvorstand|firmenchef)\\b',
	'\\b(pdg|président(e)?|directeur général|directrice générale|directeur financier|directrice financière|gérant(e)?)\\b',
	'\\b(director (general|ejecutivo|financiero)|consejero delegado|presidente|gerente general|dueño de la empresa)\\b',
	'\\b(amministratore delegato|direttore generale|direttore finanziario|presidente|titolare)\\b',
	'\\b(diretor(a)? (executivo|executiva|geral|financeiro|financeira)|presidente|dono da empresa)\\b',
	'\\b(algemeen directeur|financieel directeur|directeur|bestuursvoorzitter|eigenaar)\\b',
	'(генеральн\\w* директор\\w*|гендиректор\\w*|финансов\\w* директор\\w*|директор\\w*|владел\\w* компании)',
	'(社長|代表取締役|最高経営責任者|財務責任者|会長|总经理|總經理|首席执行官|首席執行官|董事长|董事長|财务总监|財務總監|老板|老闆)',
);
const PRESSURE = alt(
	"\\b(urgent(ly)?|asap|right away|immediately|today|before (noon|end of day|eod|5)|confidential|discreet(ly)?|between us|don't tell|do not tell|keep (this|it) (quiet|private|between)|i'm in a meeting|i am in a meeting|can't talk|cannot talk|quick favou?r)\\b",
	'\\b(dringend|sofort|eilig|heute noch|vertraulich|diskret|unter uns|in einer besprechung)\\b',
	"\\b(urgent(e)?|immédiatement|aujourd'hui|confidentiel(le)?|discr[eè]t(ement)?|entre nous|en réunion)\\b",
	'\\b(urgente|inmediatamente|hoy mismo|confidencial|discreci[oó]n|entre nosotros|en una reuni[oó]n)\\b',
	'\\b(urgente|subito|immediatamente|oggi stesso|riservat[oa]|confidenziale|tra di noi|in riunione)\\b',
	'\\b(urgente|imediatamente|hoje mesmo|confidencial|sigilo(so)?|entre nós|em reunião)\\b',
	'\\b(dringend|meteen|vandaag nog|vertrouwelijk|discreet|onder ons|in een vergadering)\\b',
	'(срочно|немедленно|сегодня же|конфиденциально|между нами|на совещании)',
	'(至急|大至急|緊急|内密|内緒|極秘|紧急|緊急|马上|馬上|保密|機密|机密)',
);
const PAY_REQUEST = alt(
	'\\b(wire|transfer|remit|send) (the |a |some )?(money|funds|payment|amount|sum|\\d)|\\bmake (a|the|an urgent) (payment|transfer|wire)\\b|\\bprocess (a|the|this) (payment|transfer|wire)\\b|\\bpay (this|the|our new|a new) (invoice|supplier|vendor|amount|partner)\\b|\\bwire transfer\\b|\\bbank transfer\\b',
	'\\b(überweisung|überweisen|überweise)\\b',
	'\\b(virement|effectuer (un|le) paiement|régler (cette|la) facture)\\b',
	'\\b(transferencia|hacer (un|el) pago|realizar (un|el) pago)\\b',
	'\\b(bonifico|effettuare (un|il) pagamento)\\b',
	'\\b(transferência|fazer (um|o) pagamento|efetuar (um|o) pagamento)\\b',
	'\\b(overboeking|overmaken|maak \\S+ over|overschrijving)\\b',
	'(перевод|перевести|переведи\\w*|оплатить сч[её]т)',
	'(振込|振り込|送金|转账|轉帳|汇款|匯款|打款)',
);

const RAW = {
	'account-takeover': [
		near(CHANGE, ACCOUNT_CONTACT, 60),
		near(TWO_FACTOR, DISABLE, 50),
		new RegExp(`${SEND}${G(40)}${CODE_OR_LINK}${G(60)}${ELSEWHERE}`),
		new RegExp(`${SEND}${G(30)}${ELSEWHERE}${G(30)}${CODE_OR_LINK}`),
		new RegExp(`${CODE_OR_LINK}${G(30)}${ELSEWHERE}${G(40)}${SEND}`),
		/\b(no longer have access to|lost access to|can't access|cannot access|no longer use|lost) (my |the )?(old )?(e-?mail( account| address)?|phone|mobile|authenticator|2fa device)\b[^.\n]{0,80}\b(account|log ?in|sign ?in|password|2fa|two-factor|verification code)\b/,
		/\b(add|make) (me|this (address|person|e-?mail)|my (colleague|partner)) (as )?(an? )?(admin|administrator|owner|account holder|authori[sz]ed user)\b|\btransfer (the |my |this )?(account|ownership|subscription) to\b/,
	],
	'payment-redirection': [
		near(CHANGE, BANK, 60),
		near(NEW_PARTY, BANK, 30),
		new RegExp(
			`${BANK}${G(40)}\\b(have|has|were|was|hat|haben|ont|han|hanno|foram|zijn|sind)\\b${G(15)}\\b(changed|updated|geändert|changé(e|es)?|modifié(e|es)?|cambiado|cambiati|cambiate|mudado|alterados?|gewijzigd)\\b`,
		),
		new RegExp(
			`${MONEY_OUT}${G(50)}(\\b(to|into|onto|an|auf|sur|à|al|para|naar|op|su|sul|sulla|na|no|ao|на)\\b|\\ba (?=otr|nuev|outr|nov|un'altr|un altr|una nuov|un nuov))${G(10)}${NEW_PARTY}${G(15)}\\b(account|card|iban|bank|person|wallet|paypal|konto|karte|compte|carte|cuenta|tarjeta|conto|carta|conta|cartão|rekening|kaart)\\b`,
		),
		// Gift-card fraud spans sentences ("Buy six gift cards. Scratch them and send me the codes.").
		new RegExp(`${GIFT_CARD}[^\\n]{0,160}${GIFT_SEND}${G(30)}${GIFT_CODES}`),
		new RegExp(`${GIFT_SEND}${G(30)}${GIFT_CODES}[^\\n]{0,160}${GIFT_CARD}`),
		new RegExp(`${GIFT_BUY}${G(20)}${GIFT_CARD}[^\\n]{0,160}${GIFT_SEND}`),
		near(
			MONEY_OUT,
			`${CRYPTO}${G(15)}\\b(wallet|address|adresse|dirección|indirizzo|endereço|adres|portefeuille|monedero|carteira|кошел\\w*|адрес|ウォレット|アドレス|钱包|錢包|地址)\\b`,
			50,
		),
		near(MONEY_OUT, '\\b(western union|moneygram)\\b', 40),
		/(別の口座|新しい口座|振込先(を|の)?変更|口座(を|の)?変更|新的(银行)?账户|新的(銀行)?帳戶|新账户|新帳戶|换(一个)?账户|更改收款|变更收款|變更收款|新(的)?收款)/,
	],
};

const PATTERNS = Object.fromEntries(
	Object.entries(RAW).map(([name, list]) => [name, list.map(unicodeWords)]),
) as Record<keyof typeof RAW, RegExp[]>;

const EXEC_RE = unicodeWords(new RegExp(EXEC));
const PRESSURE_RE = unicodeWords(new RegExp(PRESSURE));
const PAY_RE = unicodeWords(new RegExp(PAY_REQUEST));
const GIFT_RE = unicodeWords(new RegExp(GIFT_CARD));

export interface FraudHit {
	rule: 'account-takeover' | 'payment-redirection' | 'executive-impersonation';
	detail: string;
}

/** IBANs in the text whose check digits are right (ISO 13616 mod 97), compact form. */
export function findIbans(text: string): string[] {
	const found: string[] = [];
	for (const match of text.toUpperCase().matchAll(/\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g)) {
		const iban = match[0].replace(/ /g, '');
		if (iban.length < 15 || iban.length > 34) continue;
		const moved = `${iban.slice(4)}${iban.slice(0, 4)}`;
		let rest = 0;
		for (const ch of moved) {
			const value = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
			for (const digit of value) rest = (rest * 10 + Number(digit)) % 97;
		}
		if (rest === 1) found.push(iban);
		if (found.length >= 5) break;
	}
	return found;
}

const EMAIL_ADDRESS = /[\p{L}\p{N}._%+-]{1,64}@[\p{L}\p{N}-]{1,63}(?:\.[\p{L}\p{N}-]{1,63}){1,6}/gu;

/** E-mail addresses written in a text (lower case, at most 20). */
export function addressesIn(text: string): string[] {
	const out = new Set<string>();
	for (const match of text.matchAll(EMAIL_ADDRESS)) {
		out.add(match[0].toLowerCase().replace(/\.$/, ''));
		if (out.size >= 20) break;
	}
	return [...out];
}

export function domainOf(address: string): string {
	return (address.split('@')[1] ?? '').toLowerCase().replace(/\.$/, '');
}

/** Whether two domains belong together (equal, or one a subdomain of the other). */
export function sameOrganisation(a: string, b: string): boolean {
	if (!a || !b) return false;
	return a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}

export interface FraudContext {
	/** The sender's address and display name. */
	from: string;
	fromName?: string;
	/** Our own domains (the addresses the mail was sent to). */
	ownDomains: string[];
}

/** Account-takeover, payment-redirection and executive-impersonation requests in a text. */
export function detectFraudRequests(
	text: string,
	context: FraudContext,
	folded: FoldedText = foldText(text),
): FraudHit[] {
	const hits: FraudHit[] = [];
	const takeover = firstMatch(folded, PATTERNS['account-takeover']);
	if (takeover)
		hits.push({
			rule: 'account-takeover',
			detail: `the email asks to change how the account is reached or proven ("${takeover}"): a person must verify the customer first`,
		});
	else {
		// A login / reset / verification request that names an address of another domain than the sender's.
		const code = firstMatch(folded, [unicodeWords(new RegExp(CODE_OR_LINK))]);
		const fromDomain = domainOf(context.from);
		const other = addressesIn(folded.plain).find(
			(a) =>
				!sameOrganisation(domainOf(a), fromDomain) &&
				!context.ownDomains.some((own) => sameOrganisation(domainOf(a), own)),
		);
		if (code && other)
			hits.push({
				rule: 'account-takeover',
				detail: `the email mentions a ${code} and another address (${other}) than the sender's: a person must verify the customer first`,
			});
	}

	const redirect = firstMatch(folded, PATTERNS['payment-redirection']);
	const ibans = findIbans(folded.plain);
	if (redirect || ibans.length)
		hits.push({
			rule: 'payment-redirection',
			detail: redirect
				? `the email asks to send money somewhere new ("${redirect}"): bank details are only changed after a person verifies them`
				: `the email gives bank details (IBAN ${ibans[0].slice(0, 4)}…${ibans[0].slice(-4)}): money only goes to a new account after a person verifies it`,
		});

	const execInName = context.fromName ? EXEC_RE.exec(foldText(context.fromName).skeleton) : null;
	const exec = execInName ?? EXEC_RE.exec(folded.plain) ?? EXEC_RE.exec(folded.skeleton);
	if (exec) {
		const pay =
			PAY_RE.exec(folded.plain) ?? GIFT_RE.exec(folded.plain) ?? PAY_RE.exec(folded.skeleton);
		const pressure = PRESSURE_RE.exec(folded.plain) ?? PRESSURE_RE.exec(folded.skeleton);
		if (pay && (pressure || execInName))
			hits.push({
				rule: 'executive-impersonation',
				detail: `a message in the name of an executive ("${exec[0]}") asks for a payment ("${pay[0]}")${pressure ? ` with pressure ("${pressure[0]}")` : ''}: confirm through a known channel`,
			});
	}
	return hits;
}
