/**
 * How the built-in model's recipe was chosen, without the held-out mail: k-fold cross-validation over
 * the hand-written training examples (data/support-mail-train), each test example framed like an
 * e-mail (a greeting, a filler sentence and a sign-off in its language), Bitext always in training.
 * Prints accuracy, share unsure and precision among routed mail per recipe, and how much
 * out-of-scope mail gets routed.
 *
 *   npx tsc -p tsconfig.scripts.json && node build-scripts/scripts/tune-offline-model.js
 */
import { trainClassifier, type TrainClassifierOptions } from '../lib/offline-model/classifier';
import { createRng, stratifiedFolds } from '../lib/offline-model/random';
import {
	BITEXT_EVERY,
	DEFAULT_MODEL_TRAINING,
	findRepositoryRoot,
	OWN_EXAMPLE_REPEAT,
	type LanguageExample,
	loadBitextExamples,
	loadSupportMailTraining,
	OUT_OF_SCOPE_LABEL,
} from '../lib/offline-model/training-data';

const FRAMES: Record<string, { hello: string[]; filler: string[]; bye: string[] }> = {
	en: {
		hello: ['Hi,', 'Hello team,', 'Good morning,', ''],
		filler: ['I hope you can help me with this.', 'Thanks in advance.', ''],
		bye: ['Best regards,\nAnna Smith', 'Thanks\nJohn', 'Cheers, Mike', ''],
	},
	de: {
		hello: ['Hallo,', 'Sehr geehrte Damen und Herren,', 'Guten Tag,', ''],
		filler: ['Ich hoffe Sie können mir helfen.', 'Vielen Dank im Voraus.', ''],
		bye: ['Mit freundlichen Grüßen\nPetra Müller', 'Danke\nJan', 'LG Tim', ''],
	},
	fr: {
		hello: ['Bonjour,', 'Bonjour madame, monsieur,', 'Salut,', ''],
		filler: ["J'espère que vous pourrez m'aider.", "Merci d'avance.", ''],
		bye: ['Cordialement,\nMarie Durand', 'Merci\nPaul', 'Bonne journée, Luc', ''],
	},
	es: {
		hello: ['Hola,', 'Buenos días,', 'Buenas tardes,', ''],
		filler: ['Espero que me podáis ayudar.', 'Gracias de antemano.', ''],
		bye: ['Un saludo,\nCarlos López', 'Gracias\nAna', 'Saludos, Luis', ''],
	},
	it: {
		hello: ['Ciao,', 'Buongiorno,', 'Salve,', ''],
		filler: ['Spero possiate aiutarmi.', 'Grazie in anticipo.', ''],
		bye: ['Cordiali saluti,\nAnna Russo', 'Grazie\nMatteo', 'Saluti, Paolo', ''],
	},
	nl: {
		hello: ['Hallo,', 'Beste klantenservice,', 'Goedemorgen,', ''],
		filler: ['Ik hoop dat jullie me kunnen helpen.', 'Alvast bedankt.', ''],
		bye: ['Met vriendelijke groet,\nJan de Boer', 'Groetjes\nEmma', 'Groet, Sem', ''],
	},
	pt: {
		hello: ['Olá,', 'Bom dia,', 'Boa tarde,', ''],
		filler: ['Espero que me possam ajudar.', 'Obrigado desde já.', ''],
		bye: ['Cumprimentos,\nJoão Silva', 'Obrigada\nAna', 'Abraço, Pedro', ''],
	},
};

function frame(example: LanguageExample, random: () => number): string {
	const f = FRAMES[example.language];
	const pick = (list: string[]) => list[Math.floor(random() * list.length)];
	return [pick(f.hello), example.text, pick(f.filler), pick(f.bye)].filter(Boolean).join('\n');
}

interface Recipe {
	name: string;
	repeat: number;
	bitextEvery: number;
	keywords?: boolean;
	options: TrainClassifierOptions;
}

const THRESHOLDS = [0.4, 0.5, 0.6, 0.7, 0.8];

function main(): void {
	const root = findRepositoryRoot(__dirname);
	const bitext = loadBitextExamples(root);
	const all = loadSupportMailTraining(root);
	const keywordLines = all.filter((e) => e.keywords);
	const own = all.filter((e) => !e.keywords);
	const folds = stratifiedFolds(
		own.map((e) => `${e.language}/${e.label}`),
		4,
		11,
	);
	const shipped: Recipe = {
		name: 'shipped recipe',
		repeat: OWN_EXAMPLE_REPEAT,
		bitextEvery: BITEXT_EVERY,
		keywords: true,
		options: DEFAULT_MODEL_TRAINING,
	};
	// Recipes compared during development (all with the out-of-scope label unless said otherwise).
	const recipes: Recipe[] = [
		shipped,
		{
			...shipped,
			name: 'shipped recipe, unknown n-grams in the norm',
			options: { ...shipped.options, features: { charWeight: 2, unknownInNorm: true } },
		},
		{
			...shipped,
			name: 'shipped recipe, char block weight 1',
			options: { ...shipped.options, features: { unknownInNorm: false } },
		},
		{ ...shipped, name: 'shipped recipe, every Bitext row', bitextEvery: 1 },
		{ ...shipped, name: 'shipped recipe, no keyword lines', keywords: false },
		{
			name: 'old recipe (Bitext only, no out-of-scope label)',
			repeat: 0,
			bitextEvery: 1,
			options: { seed: 7, unsureThreshold: 0.7 },
		},
	];
	const only = process.argv[2];
	for (const recipe of recipes) {
		if (only && !recipe.name.includes(only)) continue;
		const rows: Array<{ truth: string; label: string; confidence: number; outOfScope: number }> =
			[];
		for (let fold = 0; fold < 4; fold++) {
			const train = own.filter((_, i) => folds[i] !== fold);
			const test = own.filter((_, i) => folds[i] === fold);
			const bitextPart = bitext.filter((_, i) => i % recipe.bitextEvery === 0);
			const examples = [
				...bitextPart,
				...Array.from({ length: recipe.repeat }, () =>
					[...train, ...(recipe.keywords ? keywordLines : [])].map(({ text, label }) => ({
						text,
						label,
					})),
				).flat(),
			];
			const model = trainClassifier(
				recipe.options.outOfScopeLabel
					? examples
					: examples.filter((e) => e.label !== OUT_OF_SCOPE_LABEL),
				recipe.options,
			);
			const random = createRng(fold + 1);
			for (const example of test) {
				const p = model.predict(frame(example, random));
				rows.push({
					truth: example.label,
					label: p.label,
					confidence: p.outOfScope !== undefined && p.outOfScope > p.confidence ? 0 : p.confidence,
					outOfScope: p.outOfScope ?? 0,
				});
			}
		}
		const inScope = rows.filter((r) => r.truth !== OUT_OF_SCOPE_LABEL);
		const outScope = rows.filter((r) => r.truth === OUT_OF_SCOPE_LABEL);
		const acc = inScope.filter((r) => r.truth === r.label).length / inScope.length;
		const parts = THRESHOLDS.map((t) => {
			const routed = inScope.filter((r) => r.confidence >= t);
			const right = routed.filter((r) => r.truth === r.label).length;
			const oos = outScope.filter((r) => r.confidence >= t).length;
			return `@${t}: unsure ${(1 - routed.length / inScope.length).toFixed(3)} prec ${(right / Math.max(1, routed.length)).toFixed(3)} oos-routed ${(oos / outScope.length).toFixed(3)}`;
		});
		console.log(`${recipe.name}: top-1 ${acc.toFixed(3)} | ${parts.join(' | ')}`);
	}
}

main();
