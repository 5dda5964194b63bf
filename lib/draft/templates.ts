/**
 * The offline fallback: reply templates per category and language, with placeholders. A template
 * never states facts (it has no knowledge to ground them): it acknowledges the request, says what
 * happens next and asks for what a person will need. Every template reply is marked for review.
 *
 * Placeholders: {{greeting}}, {{customerName}}, {{firstName}}, {{companyName}}, {{agentName}},
 * {{orderId}}, {{subject}}, {{category}}. A placeholder with no value becomes empty text.
 */

export const TEMPLATE_LANGUAGES = ['en', 'de', 'fr', 'es'] as const;
export type TemplateLanguage = (typeof TEMPLATE_LANGUAGES)[number];

/** `default` answers any category without its own template. */
type TemplateTable = Record<string, Partial<Record<TemplateLanguage, string>>>;

export const BUILT_IN_TEMPLATES: TemplateTable = {
	default: {
		en: '{{greeting}}\n\nThank you for contacting {{companyName}}. We have received your message and a member of our team will look into it and get back to you as soon as possible.',
		de: '{{greeting}}\n\nvielen Dank für Ihre Nachricht an {{companyName}}. Wir haben Ihr Anliegen erhalten; ein Mitglied unseres Teams kümmert sich darum und meldet sich so bald wie möglich bei Ihnen.',
		fr: '{{greeting}}\n\nMerci d’avoir contacté {{companyName}}. Nous avons bien reçu votre message ; un membre de notre équipe va l’examiner et vous répondra dans les meilleurs délais.',
		es: '{{greeting}}\n\nGracias por ponerse en contacto con {{companyName}}. Hemos recibido su mensaje y un miembro de nuestro equipo lo revisará y le responderá lo antes posible.',
	},
	account: {
		en: '{{greeting}}\n\nThank you for contacting {{companyName}} about your account. A member of our team will look into it and get back to you shortly. For your security, please never send us your password.',
		de: '{{greeting}}\n\nvielen Dank für Ihre Nachricht zu Ihrem Konto. Ein Mitglied unseres Teams prüft Ihr Anliegen und meldet sich in Kürze. Bitte senden Sie uns zu Ihrer Sicherheit niemals Ihr Passwort.',
		fr: '{{greeting}}\n\nMerci de nous avoir contactés au sujet de votre compte. Un membre de notre équipe va examiner votre demande et reviendra vers vous rapidement. Pour votre sécurité, ne nous envoyez jamais votre mot de passe.',
		es: '{{greeting}}\n\nGracias por escribirnos sobre su cuenta. Un miembro de nuestro equipo revisará su solicitud y le responderá en breve. Por su seguridad, nunca nos envíe su contraseña.',
	},
	order: {
		en: '{{greeting}}\n\nThank you for your message about your order. We are checking it and will get back to you shortly. If you have not done so yet, please reply with your order number so we can find it quickly.',
		de: '{{greeting}}\n\nvielen Dank für Ihre Nachricht zu Ihrer Bestellung. Wir prüfen sie und melden uns in Kürze. Falls noch nicht geschehen, antworten Sie bitte mit Ihrer Bestellnummer, damit wir sie schnell finden.',
		fr: '{{greeting}}\n\nMerci pour votre message concernant votre commande. Nous la vérifions et revenons vers vous rapidement. Si ce n’est pas déjà fait, merci de nous indiquer votre numéro de commande.',
		es: '{{greeting}}\n\nGracias por su mensaje sobre su pedido. Lo estamos revisando y le responderemos en breve. Si aún no lo ha hecho, indíquenos su número de pedido para encontrarlo rápidamente.',
	},
	refund: {
		en: '{{greeting}}\n\nThank you for your message about a refund. We have passed your request to our team, who will review it and get back to you with the next steps. Please include your order number if you have not done so yet.',
		de: '{{greeting}}\n\nvielen Dank für Ihre Nachricht zur Erstattung. Wir haben Ihr Anliegen an unser Team weitergegeben, das es prüft und sich mit den nächsten Schritten bei Ihnen meldet. Bitte nennen Sie uns Ihre Bestellnummer, falls noch nicht geschehen.',
		fr: '{{greeting}}\n\nMerci pour votre message concernant un remboursement. Nous avons transmis votre demande à notre équipe, qui l’examinera et reviendra vers vous avec la marche à suivre. Merci d’indiquer votre numéro de commande si ce n’est pas déjà fait.',
		es: '{{greeting}}\n\nGracias por su mensaje sobre un reembolso. Hemos trasladado su solicitud a nuestro equipo, que la revisará y le indicará los siguientes pasos. Incluya su número de pedido si aún no lo ha hecho.',
	},
	delivery: {
		en: '{{greeting}}\n\nThank you for your message about your delivery. We are checking the status of your parcel and will get back to you shortly.',
		de: '{{greeting}}\n\nvielen Dank für Ihre Nachricht zu Ihrer Lieferung. Wir prüfen den Status Ihres Pakets und melden uns in Kürze.',
		fr: '{{greeting}}\n\nMerci pour votre message concernant votre livraison. Nous vérifions le statut de votre colis et revenons vers vous rapidement.',
		es: '{{greeting}}\n\nGracias por su mensaje sobre su entrega. Estamos comprobando el estado de su paquete y le responderemos en breve.',
	},
	invoice: {
		en: '{{greeting}}\n\nThank you for your message about your invoice. Our billing team will look into it and get back to you shortly.',
		de: '{{greeting}}\n\nvielen Dank für Ihre Nachricht zu Ihrer Rechnung. Unsere Buchhaltung prüft Ihr Anliegen und meldet sich in Kürze.',
		fr: '{{greeting}}\n\nMerci pour votre message concernant votre facture. Notre service de facturation va l’examiner et reviendra vers vous rapidement.',
		es: '{{greeting}}\n\nGracias por su mensaje sobre su factura. Nuestro equipo de facturación lo revisará y le responderá en breve.',
	},
	feedback: {
		en: '{{greeting}}\n\nThank you for taking the time to share your feedback with {{companyName}}. We have passed it on to our team, and someone will get back to you if there is anything we need to follow up.',
		de: '{{greeting}}\n\nvielen Dank, dass Sie sich die Zeit für Ihr Feedback an {{companyName}} genommen haben. Wir haben es an unser Team weitergegeben und melden uns, falls wir etwas nachfassen müssen.',
		fr: '{{greeting}}\n\nMerci d’avoir pris le temps de partager votre avis avec {{companyName}}. Nous l’avons transmis à notre équipe et reviendrons vers vous si un suivi est nécessaire.',
		es: '{{greeting}}\n\nGracias por dedicar su tiempo a compartir su opinión con {{companyName}}. La hemos trasladado a nuestro equipo y le contactaremos si necesitamos hacer algún seguimiento.',
	},
	payment: {
		en: '{{greeting}}\n\nThank you for your message about a payment. Our team will look into it and get back to you shortly. For your security, please never send full card numbers by email.',
		de: '{{greeting}}\n\nvielen Dank für Ihre Nachricht zu einer Zahlung. Unser Team prüft Ihr Anliegen und meldet sich in Kürze. Bitte senden Sie uns zu Ihrer Sicherheit niemals vollständige Kartennummern per E-Mail.',
		fr: '{{greeting}}\n\nMerci pour votre message concernant un paiement. Notre équipe va l’examiner et reviendra vers vous rapidement. Pour votre sécurité, ne nous envoyez jamais de numéro de carte complet par e-mail.',
		es: '{{greeting}}\n\nGracias por su mensaje sobre un pago. Nuestro equipo lo revisará y le responderá en breve. Por su seguridad, nunca envíe números de tarjeta completos por correo electrónico.',
	},
	contact: {
		en: '{{greeting}}\n\nThank you for reaching out to {{companyName}}. A member of our team will get back to you personally as soon as possible.',
		de: '{{greeting}}\n\nvielen Dank für Ihre Nachricht an {{companyName}}. Ein Mitglied unseres Teams meldet sich so bald wie möglich persönlich bei Ihnen.',
		fr: '{{greeting}}\n\nMerci d’avoir contacté {{companyName}}. Un membre de notre équipe reviendra personnellement vers vous dans les meilleurs délais.',
		es: '{{greeting}}\n\nGracias por ponerse en contacto con {{companyName}}. Un miembro de nuestro equipo le responderá personalmente lo antes posible.',
	},
	shipping_address: {
		en: '{{greeting}}\n\nThank you for your message about your shipping address. We are checking whether it can still be changed and will confirm shortly. Please reply with the full new address if you have not done so yet.',
		de: '{{greeting}}\n\nvielen Dank für Ihre Nachricht zu Ihrer Lieferadresse. Wir prüfen, ob sie noch geändert werden kann, und bestätigen in Kürze. Bitte senden Sie uns die vollständige neue Adresse, falls noch nicht geschehen.',
		fr: '{{greeting}}\n\nMerci pour votre message concernant votre adresse de livraison. Nous vérifions si elle peut encore être modifiée et vous le confirmons rapidement. Merci de nous envoyer la nouvelle adresse complète si ce n’est pas déjà fait.',
		es: '{{greeting}}\n\nGracias por su mensaje sobre su dirección de envío. Estamos comprobando si todavía se puede cambiar y se lo confirmaremos en breve. Envíenos la nueva dirección completa si aún no lo ha hecho.',
	},
	cancellation_fee: {
		en: '{{greeting}}\n\nThank you for your question about cancellation fees. Our team will check the terms that apply to you and get back to you shortly.',
		de: '{{greeting}}\n\nvielen Dank für Ihre Frage zu Stornogebühren. Unser Team prüft die für Sie geltenden Bedingungen und meldet sich in Kürze.',
		fr: '{{greeting}}\n\nMerci pour votre question concernant les frais d’annulation. Notre équipe vérifie les conditions qui s’appliquent à votre cas et revient vers vous rapidement.',
		es: '{{greeting}}\n\nGracias por su pregunta sobre los gastos de cancelación. Nuestro equipo revisará las condiciones que le corresponden y le responderá en breve.',
	},
	newsletter: {
		en: '{{greeting}}\n\nThank you for your message about our newsletter. We will take care of your request and confirm shortly.',
		de: '{{greeting}}\n\nvielen Dank für Ihre Nachricht zu unserem Newsletter. Wir kümmern uns um Ihr Anliegen und bestätigen in Kürze.',
		fr: '{{greeting}}\n\nMerci pour votre message concernant notre newsletter. Nous traitons votre demande et vous le confirmons rapidement.',
		es: '{{greeting}}\n\nGracias por su mensaje sobre nuestro boletín. Nos ocuparemos de su solicitud y se lo confirmaremos en breve.',
	},
};

/** Greeting per language: with and without the customer's name, friendly and formal. */
const GREETINGS: Record<TemplateLanguage, { named: string; formal: string; anonymous: string }> = {
	en: { named: 'Hello {{firstName}},', formal: 'Dear {{customerName}},', anonymous: 'Hello,' },
	de: {
		named: 'Hallo {{firstName}},',
		formal: 'Guten Tag {{customerName}},',
		anonymous: 'Guten Tag,',
	},
	fr: {
		named: 'Bonjour {{firstName}},',
		formal: 'Bonjour {{customerName}},',
		anonymous: 'Bonjour,',
	},
	es: { named: 'Hola {{firstName}}:', formal: 'Estimado/a {{customerName}}:', anonymous: 'Hola:' },
};

/** Closing line of the default signature. */
export const CLOSINGS: Record<TemplateLanguage, string> = {
	en: 'Best regards,',
	de: 'Mit freundlichen Grüßen',
	fr: 'Cordialement,',
	es: 'Saludos cordiales,',
};

export function isTemplateLanguage(language: string): language is TemplateLanguage {
	return (TEMPLATE_LANGUAGES as readonly string[]).includes(language);
}

/** A template from the node: for a category (or every category: `*`), optionally one language. */
export interface CustomTemplate {
	category: string;
	/** ISO 639-1; empty: any language. */
	language?: string;
	text: string;
}

export interface ChosenTemplate {
	text: string;
	language: string;
	/** `node` (one of the node's templates) or `built-in`. */
	source: 'node' | 'built-in';
	/** No template in the wanted language: another language was used. */
	languageFallback: boolean;
	/** The category had no template of its own: the general one was used. */
	generic: boolean;
}

/**
 * The template for a category in a language. Order: the node's template for category + language,
 * the node's for the category in any language, the built-in for category + language, the node's
 * `*` template, the built-in general one; when the language has no built-in template, English.
 */
export function chooseTemplate(
	category: string,
	language: string,
	custom: CustomTemplate[] = [],
): ChosenTemplate {
	const cat = category.toLowerCase();
	const forCategory = (c: string) => custom.filter((t) => t.category.trim().toLowerCase() === c);
	const exact = (list: CustomTemplate[]) =>
		list.find((t) => (t.language ?? '').trim().toLowerCase() === language);
	const anyLanguage = (list: CustomTemplate[]) => list.find((t) => !(t.language ?? '').trim());

	const own = forCategory(cat);
	const ownHit = exact(own) ?? anyLanguage(own);
	if (ownHit) return node(ownHit, language, false);
	const builtIn = BUILT_IN_TEMPLATES[cat];
	if (builtIn && isTemplateLanguage(language) && builtIn[language]) {
		return {
			text: builtIn[language]!,
			language,
			source: 'built-in',
			languageFallback: false,
			generic: false,
		};
	}
	const star = forCategory('*');
	const starHit = exact(star) ?? anyLanguage(star);
	if (starHit) return node(starHit, language, true);
	const table = builtIn ?? BUILT_IN_TEMPLATES.default;
	if (isTemplateLanguage(language) && table[language]) {
		return {
			text: table[language]!,
			language,
			source: 'built-in',
			languageFallback: false,
			generic: !builtIn,
		};
	}
	return {
		text: table.en!,
		language: 'en',
		source: 'built-in',
		languageFallback: true,
		generic: !builtIn,
	};

	function node(template: CustomTemplate, wanted: string, generic: boolean): ChosenTemplate {
		const own = (template.language ?? '').trim().toLowerCase();
		return {
			text: template.text,
			language: own || wanted,
			source: 'node',
			languageFallback: !!own && own !== wanted,
			generic,
		};
	}
}

export interface PlaceholderValues {
	customerName?: string;
	firstName?: string;
	companyName?: string;
	agentName?: string;
	orderId?: string;
	subject?: string;
	category?: string;
	greeting?: string;
}

/** Fills `{{name}}` placeholders; unknown or empty ones become empty text, and tidies the spaces left. */
export function fillPlaceholders(text: string, values: PlaceholderValues): string {
	return text
		.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => {
			const value = (values as Record<string, string | undefined>)[name];
			return value === undefined ? '' : value;
		})
		.replace(/[ \t]+([,.;:!?])/g, '$1')
		.replace(/[ \t]{2,}/g, ' ')
		.replace(/\n{3,}/g, '\n\n')
		.trim();
}

/** "Hello Jane," in the reply language (formal tone: full name), or a greeting without a name. */
export function greeting(
	language: string,
	tone: string,
	customerName: string | undefined,
	firstName: string | undefined,
): string {
	const table = GREETINGS[isTemplateLanguage(language) ? language : 'en'];
	if (!customerName?.trim()) return table.anonymous;
	const pattern = tone === 'formal' ? table.formal : table.named;
	return fillPlaceholders(pattern, { customerName, firstName: firstName || customerName });
}
