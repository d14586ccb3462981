/**
 * Labels of the console in French (default) and English. Each entry is `[fr, en]`; `{name}` is
 * replaced by `vars.name`. The chosen language is kept in localStorage `gw.lang`.
 */

const LANG_KEY = 'gw.lang';
const LANGS = ['fr', 'en'];
const LOCALES = {fr: 'fr-FR', en: 'en-GB'};

const D = {
  'app.title': ['Passerelle de paiements groupés', 'Bulk payment gateway'],
  'app.brand': ['Paiements groupés', 'Bulk payments'],
  'lang.label': ['Langue', 'Language'],
  'nav.label': ['Navigation principale', 'Main navigation'],
  'nav.runs': ['Paiements', 'Payment runs'],
  'nav.upload': ['Téléverser un fichier', 'Upload a file'],
  'nav.accounts': ['Comptes', 'Accounts'],
  'logout': ['Se déconnecter', 'Log out'],
  'loading': ['Chargement…', 'Loading…'],
  'more': ['Afficher plus', 'Show more'],
  'back': ['Retour', 'Back'],
  'yes': ['Oui', 'Yes'],
  'no': ['Non', 'No'],
  'wait.s': ['{n} s', '{n} s'],
  'wait.min': ['{n} min', '{n} min'],
  'month.placeholder': ['AAAA-MM', 'YYYY-MM'],

  'login.title': ['Connexion', 'Sign in'],
  'login.name': ['Identifiant ou e-mail', 'Username or e-mail'],
  'login.password': ['Mot de passe', 'Password'],
  'login.submit': ['Se connecter', 'Sign in'],
  'login.expired': ['Votre session a expiré. Reconnectez-vous.', 'Your session has expired. Please sign in again.'],

  'runs.title': ['Paiements', 'Payment runs'],
  'runs.allStates': ['Tous les états', 'All states'],
  'runs.empty': ['Aucun paiement ne correspond.', 'No payment run matches.'],
  'col.created': ['Créé le', 'Created'],
  'col.file': ['Fichier', 'File'],
  'col.period': ['Période', 'Period'],
  'col.state': ['État', 'State'],
  'col.rows': ['Lignes', 'Rows'],
  'col.totalAmount': ['Montant total', 'Total amount'],
  'col.progress': ['Avancement', 'Progress'],
  'col.createdBy': ['Créé par', 'Created by'],
  'col.line': ['Ligne', 'Line'],
  'col.field': ['Champ', 'Field'],
  'col.message': ['Message', 'Message'],
  'col.account': ['Compte', 'Account'],
  'col.currency': ['Devise', 'Currency'],
  'col.balance': ['Solde', 'Balance'],
  'col.reserved': ['Réservé', 'Reserved'],
  'col.available': ['Disponible', 'Available'],
  'col.payee': ['Bénéficiaire', 'Payee'],
  'col.identifier': ['Identifiant', 'Identifier'],
  'col.amount': ['Montant', 'Amount'],
  'col.status': ['Statut', 'Status'],
  'col.error': ['Erreur', 'Error'],
  'col.attempts': ['Tentatives', 'Attempts'],
  'col.result': ['Résultat', 'Result'],
  'col.grade': ['Concordance du nom', 'Name match'],
  'col.count': ['Lignes', 'Rows'],
  'col.fileName': ['Nom dans le fichier', 'Name in the file'],
  'col.registeredName': ['Nom enregistré', 'Registered name'],
  'col.excluded': ['Exclue ?', 'Excluded?'],

  'upload.title': ['Téléverser un fichier', 'Upload a file'],
  'upload.notAllowed': ['Seul un gestionnaire peut téléverser un fichier.', 'Only a manager can upload a file.'],
  'upload.drop': ['Déposez le fichier (CSV ou pain.001 XML) ici, ou', 'Drop the file (CSV or pain.001 XML) here, or'],
  'upload.choose': ['choisissez un fichier', 'choose a file'],
  'upload.noFile': ['Aucun fichier choisi.', 'No file chosen.'],
  'upload.size': ['{n} Ko', '{n} KB'],
  'upload.period': ['Période de pension', 'Pension period'],
  'upload.periodRequired': ['Obligatoire : votre organisation paie par période.', 'Required: your organisation pays by period.'],
  'upload.executeAt': ['Exécuter à partir du', 'Run from'],
  'upload.executeAtHint': ['Vide : lancé dès que possible.', 'Empty: started as soon as possible.'],
  'upload.expectedCount': ['Nombre de lignes attendu', 'Expected number of rows'],
  'upload.expectedTotal': ['Montant total attendu ({currency})', 'Expected total ({currency})'],
  'upload.declaredHint': ["Tels qu'imprimés sur l'ordre de paiement : un fichier différent est refusé.", 'As printed on the payment order: a file that differs is refused.'],
  'upload.callbackUrl': ['URL de notification (facultative)', 'Notification URL (optional)'],
  'upload.allowDuplicates': ['Accepter plusieurs lignes pour un même bénéficiaire', 'Accept several rows for the same payee'],
  'upload.force': ['Accepter un fichier déjà téléversé dans les dernières 24 heures', 'Accept a file already uploaded in the last 24 hours'],
  'upload.allowRepeat': ['Accepter des bénéficiaires déjà payés sur la période (approbation alors requise)', 'Accept payees already paid in the period (approval then required)'],
  'upload.submit': ['Téléverser', 'Upload'],
  'upload.fileMissing': ['Choisissez un fichier CSV ou pain.001.', 'Choose a CSV or pain.001 file.'],
  'upload.badCount': ['Le nombre de lignes attendu doit être un entier positif.', 'The expected number of rows must be a positive whole number.'],
  'upload.badTotal': ['Montant total attendu invalide (au plus {exp} décimale(s)).', 'Invalid expected total (at most {exp} decimal place(s)).'],
  'upload.problems': ['Problèmes relevés dans le fichier', 'Problems found in the file'],
  'upload.problemsMore': ['{total} problèmes en tout ; les {shown} premiers sont listés. Par type :', '{total} problems in all; the first {shown} are listed. By kind:'],
  'upload.approvalFrom': ['Approbation requise à partir de {amount}.', 'Approval required from {amount}.'],
  'upload.approvalAll': ['Chaque paiement doit être approuvé.', 'Every run must be approved.'],
  'upload.verification': ['Les bénéficiaires seront vérifiés auprès du réseau avant paiement.', 'Payees are verified with the switch before payment.'],
  'upload.existing': ['Paiement existant :', 'Existing run:'],
  'help.title': ['Format du fichier', 'File format'],
  'help.headers': ["Deux en-têtes sont acceptés (casse indifférente, colonnes dans n'importe quel ordre) :", 'Two headers are accepted (any case, columns in any order):'],
  'help.amounts': ['Montants entiers en unités mineures de la devise (XOF : 10000 = 10 000 F CFA), une seule devise par fichier.', 'Whole amounts in minor units of the currency (XOF: 10000 = 10,000 XOF), one currency per file.'],
  'help.pain001': ["Ou un message ISO 20022 pain.001.001.03 ou .09 (XML) : son MsgId ne sert qu'une fois, son EndToEndId devient l'identifiant du virement, sa date d'exécution celle du paiement (sauf si vous en indiquez une), ses montants sont en unités de la devise.", 'Or an ISO 20022 pain.001.001.03 or .09 message (XML): its MsgId is used once, its EndToEndId becomes the transfer id, its execution date the run’s (unless you give one), its amounts are in units of the currency.'],
  'help.format': ['Séparateur « , » ou « ; », UTF-8 avec ou sans BOM ; payeeName et nom_complet sont facultatifs.', 'Delimiter “,” or “;”, UTF-8 with or without BOM; payeeName and nom_complet are optional.'],

  'accounts.title': ['Comptes', 'Accounts'],
  'accounts.empty': ['Aucun compte.', 'No account.'],

  'run.title': ['Paiement', 'Payment run'],
  'run.back': ['← Tous les paiements', '← All payment runs'],
  'run.file': ['Fichier', 'File'],
  'run.period': ['Période', 'Period'],
  'run.created': ['Créé le', 'Created'],
  'run.createdBy': ['Créé par', 'Created by'],
  'run.executeAt': ['Exécution prévue', 'Scheduled for'],
  'run.completedAt': ['Terminé le', 'Finished'],
  'run.approvalRequired': ['Approbation requise', 'Approval required'],
  'run.msgId': ['Message pain.001 (MsgId)', 'pain.001 message (MsgId)'],
  'run.sha': ['Empreinte SHA-256 du fichier', 'File SHA-256'],
  'run.progress': ['Avancement du paiement', 'Payment progress'],
  'run.phase': ['Vérification des bénéficiaires : {done} / {total}', 'Verifying payees: {done} / {total}'],
  'run.total': ['Total', 'Total'],
  'run.succeeded': ['Réussis', 'Succeeded'],
  'run.failed': ['Échoués', 'Failed'],
  'run.excluded': ['Exclus par la vérification', 'Excluded by verification'],
  'run.approved': ['Approuvé par {by} le {at}', 'Approved by {by} on {at}'],
  'run.rejected': ['Rejeté par {by} le {at}', 'Rejected by {by} on {at}'],
  'run.cancelled': ['Annulé par {by} le {at}', 'Cancelled by {by} on {at}'],
  'run.reason': ['Motif : {reason}', 'Reason: {reason}'],
  'run.parent': ['Relance du paiement', 'Retry of run'],
  'run.children': ['Relances', 'Retries'],
  'btn.approve': ['Approuver', 'Approve'],
  'btn.reject': ['Rejeter', 'Reject'],
  'btn.cancel': ['Annuler le paiement', 'Cancel the run'],
  'btn.retry': ['Relancer les échecs', 'Retry the failures'],
  'btn.verify': ['Vérifier à nouveau', 'Verify again'],
  'approve.title': ['Approuver ce paiement', 'Approve this run'],
  'approve.check': ["Comparez l'empreinte du fichier avec celle de l'ordre de paiement :", 'Compare the file hash with the one on the payment order:'],
  'approve.version': ['Rapport de vérification lu : version {version}, {excluded} ligne(s) exclue(s).', 'Verification report read: version {version}, {excluded} row(s) excluded.'],
  'approve.confirm': ["Confirmer l'approbation", 'Confirm the approval'],
  'reject.title': ['Rejeter ce paiement', 'Reject this run'],
  'reject.reason': ['Motif du rejet', 'Reason for rejecting'],
  'reject.confirm': ['Confirmer le rejet', 'Confirm the rejection'],
  'reject.required': ['Indiquez le motif du rejet.', 'Give the reason for rejecting.'],
  'cancel.title': ['Annuler ce paiement ?', 'Cancel this run?'],
  'cancel.text': ['Aucune ligne ne sera envoyée et la réserve sera libérée.', 'No row will be sent and the reservation will be released.'],
  'cancel.confirm': ["Confirmer l'annulation", 'Confirm the cancellation'],
  'msg.approved': ['Paiement approuvé.', 'Run approved.'],
  'msg.rejected': ['Paiement rejeté.', 'Run rejected.'],
  'msg.cancelled': ['Paiement annulé.', 'Run cancelled.'],
  'msg.verify': ['Nouvelle vérification lancée.', 'Verification started again.'],
  'dl.report': ['Télécharger le rapport', 'Download the report'],
  'dl.pain002': ['Télécharger le pain.002 (ISO 20022)', 'Download the pain.002 (ISO 20022)'],
  'dl.verification': ['Télécharger la vérification', 'Download the verification'],
  'ver.title': ['Vérification des bénéficiaires', 'Payee verification'],
  'ver.mode.report': ['Mode : rapport seulement', 'Mode: report only'],
  'ver.mode.exclude': ['Mode : exclusion des introuvables et des noms discordants', 'Mode: exclude payees not found or under another name'],
  'ver.version': ['Version du rapport', 'Report version'],
  'ver.verifiedAt': ['Vérifié le', 'Verified'],
  'ver.excluded': ['Lignes exclues', 'Rows excluded'],
  'ver.inProgress': ['Vérification en cours : les chiffres évoluent.', 'Verification under way: the figures still change.'],
  'ver.byResult': ['Par résultat', 'By result'],
  'ver.byGrade': ['Par concordance du nom', 'By name match'],
  'ver.rows': ['Lignes vérifiées', 'Verified rows'],
  'ver.allResults': ['Tous les résultats', 'All results'],
  'ver.allGrades': ['Toutes les concordances', 'All name matches'],
  'tr.title': ['Virements', 'Transfers'],
  'tr.all': ['Tous les statuts', 'All statuses'],
  'tr.empty': ['Aucun virement.', 'No transfer.'],
  'tr.repeat': ['déjà payé sur la période', 'already paid in the period'],

  'state.VERIFYING': ['Vérification', 'Verifying'],
  'state.AWAITING_APPROVAL': ["En attente d'approbation", 'Awaiting approval'],
  'state.SCHEDULED': ['Programmé', 'Scheduled'],
  'state.PENDING': ['En attente', 'Pending'],
  'state.PROCESSING': ['En cours', 'Processing'],
  'state.COMPLETED': ['Terminé', 'Completed'],
  'state.PARTIALLY_COMPLETED': ['Partiellement terminé', 'Partially completed'],
  'state.FAILED': ['Échoué', 'Failed'],
  'state.REJECTED': ['Rejeté', 'Rejected'],
  'state.CANCELLED': ['Annulé', 'Cancelled'],
  'status.PENDING': ['En attente', 'Pending'],
  'status.PROCESSING': ['En cours', 'Processing'],
  'status.UNKNOWN': ['Issue inconnue', 'Outcome unknown'],
  'status.COMPLETED': ['Payé', 'Paid'],
  'status.FAILED': ['Échoué', 'Failed'],
  'status.CANCELLED': ['Annulé', 'Cancelled'],
  'status.EXCLUDED': ['Exclu', 'Excluded'],
  'role.GESTIONNAIRE': ['Gestionnaire', 'Manager'],
  'role.SUPERVISEUR': ['Superviseur', 'Supervisor'],
  'role.APPROBATEUR': ['Approbateur', 'Approver'],
  'result.FOUND': ['Trouvé', 'Found'],
  'result.NOT_FOUND': ['Introuvable', 'Not found'],
  'result.ERROR': ['Erreur', 'Error'],
  'result.NOT_LOOKED_UP': ['Pas encore vérifié', 'Not looked up yet'],
  'grade.MATCH': ['Concordant', 'Match'],
  'grade.PARTIAL': ['Partiel', 'Partial'],
  'grade.MISMATCH': ['Discordant', 'Mismatch'],
  'grade.NO_NAME_IN_FILE': ['Pas de nom dans le fichier', 'No name in the file'],
  'grade.NO_NAME_AT_SWITCH': ['Pas de nom au registre', 'No name at the switch'],

  'err.network': ['Le serveur ne répond pas. Vérifiez la connexion.', 'The server does not answer. Check the connection.'],
  'err.invalid_credentials': ['Identifiant ou mot de passe incorrect.', 'Wrong username or password.'],
  'err.too_many_requests': ['Trop de tentatives échouées. Réessayez dans {wait}.', 'Too many failed attempts. Try again in {wait}.'],
  'err.account_disabled': ['Ce compte est désactivé.', 'This account is disabled.'],
  'err.forbidden': ["Votre rôle ne permet pas cette action.", 'Your role does not allow this.'],
  'err.same_user': ["Vous avez téléversé ce paiement : une autre personne doit l'approuver.", 'You uploaded this run: someone else must approve it.'],
  'err.not_found': ['Paiement introuvable.', 'Run not found.'],
  'err.invalid_state': ["L'état du paiement ne permet plus cette action.", 'The run is no longer in a state that allows this.'],
  'err.already_started': ['Des lignes ont déjà été envoyées : le paiement ne peut plus être annulé.', 'Rows were already sent: the run can no longer be cancelled.'],
  'err.file_hash_mismatch': ["L'empreinte ne correspond pas au fichier du paiement.", 'The hash does not match the run’s file.'],
  'err.verification_changed': ["Le rapport de vérification a changé depuis votre lecture : relisez-le avant d'approuver.", 'The verification report changed since you read it: read it again before approving.'],
  'err.retry_open': ['Une relance de ce paiement est encore ouverte.', 'A retry of this run is still open.'],
  'err.nothing_to_retry': ['Aucune ligne échouée à relancer.', 'No failed row to retry.'],
  'err.invalid_file': ["Fichier refusé : rien n'a été enregistré.", 'File refused: nothing was stored.'],
  'err.control_sum_mismatch': ["Les totaux de contrôle du fichier (NbOfTxs, CtrlSum) ne correspondent pas à ses virements : rien n'a été enregistré.", 'The file’s control totals (NbOfTxs, CtrlSum) do not match its transfers: nothing was stored.'],
  'err.duplicate_message_id': ['Ce MsgId pain.001 a déjà servi pour un autre paiement : donnez au fichier un nouveau MsgId.', 'This pain.001 MsgId was already used by another run: give the file a new MsgId.'],
  'err.duplicate_file': ['Ce fichier a déjà été téléversé dans les dernières 24 heures.', 'This file was already uploaded in the last 24 hours.'],
  'err.period_required': ['Votre organisation paie par période : indiquez la période.', 'Your organisation pays by period: give the period.'],
  'err.already_paid_in_period': ["Des bénéficiaires sont déjà payés sur cette période : rien n'a été enregistré.", 'Some payees are already paid in this period: nothing was stored.'],
  'err.declared_totals_mismatch': ['Le fichier ne correspond pas au nombre de lignes ou au total déclaré.', 'The file does not match the declared row count or total.'],
  'err.insufficient_funds': ['Solde disponible insuffisant.', 'Not enough money available.'],
  'err.payer_account_not_found': ["Votre organisation n'a pas de compte dans la devise du fichier.", 'Your organisation has no account in the file’s currency.'],
  'err.invalid_callback_url': ['URL de notification refusée.', 'Notification URL refused.'],
  'err.payload_too_large': ['Fichier trop volumineux.', 'File too large.'],
  'err.unavailable': ['Service momentanément indisponible : réessayez.', 'Service unavailable for a moment: try again.'],
  // A refused file's problems, by code (the server's own text, with the values, is shown below).
  'problem.control_sum_mismatch': ['Total de contrôle différent des virements (ISO AM10 / AM18).', 'Control total differs from the transfers (ISO AM10 / AM18).'],
  'problem.xml_dtd_forbidden': ['DTD (<!DOCTYPE>) refusée.', 'DTD (<!DOCTYPE>) refused.'],
  'problem.xml_entity_forbidden': ['Entité XML refusée.', 'XML entity refused.'],
  'problem.xml_too_deep': ['Éléments XML trop imbriqués.', 'XML elements nested too deep.'],
  'problem.invalid_xml': ['XML mal formé.', 'Malformed XML.'],
  'problem.unsupported_xml_document': ["Ce n'est pas un document pain.001.001.03 ou .09.", 'Not a pain.001.001.03 or .09 document.'],
  'problem.missing_element': ['Élément obligatoire absent.', 'Required element missing.'],
  'problem.invalid_value': ['Valeur invalide pour cet élément.', 'Invalid value for this element.'],
  'problem.mixed_execution_dates': ["Les blocs de paiement demandent des dates d'exécution différentes.", 'The payment blocks ask for different execution dates.'],
  'problem.invalid_encoding': ["Le fichier n'est pas en UTF-8.", 'The file is not UTF-8.'],
  'problem.unrecognized_header': ["En-tête non reconnu : ce n'est aucun des deux formats acceptés.", 'Header not recognised: neither accepted format.'],
  'problem.unknown_header': ['Colonne inconnue.', 'Unknown column.'],
  'problem.duplicate_header': ['Colonne en double.', 'Column given twice.'],
  'problem.missing_header': ['Colonne obligatoire absente.', 'Required column missing.'],
  'problem.wrong_column_count': ["Nombre de colonnes différent de l'en-tête.", 'Column count differs from the header.'],
  'problem.unclosed_quote': ['Guillemet non fermé.', 'Unclosed quote.'],
  'problem.empty_value': ['Valeur obligatoire vide.', 'Required value is empty.'],
  'problem.value_too_long': ['Valeur trop longue.', 'Value too long.'],
  'problem.too_many_rows': ['Trop de lignes dans le fichier.', 'Too many rows in the file.'],
  'problem.empty_file': ['Le fichier ne contient aucune ligne.', 'The file has no rows.'],
  'problem.mixed_currency': ['Toutes les lignes doivent avoir la même devise.', 'Every row must use the same currency.'],
  'problem.duplicate_transfer_id': ['Identifiant de virement en double.', 'Transfer id used twice.'],
  'problem.duplicate_payee': ['Bénéficiaire présent sur plusieurs lignes.', 'Payee on several rows.'],
  'problem.invalid_transfer_id': ['Identifiant de virement invalide.', 'Invalid transfer id.'],
  'problem.invalid_payee_name': ['Nom du bénéficiaire invalide.', 'Invalid payee name.'],
  'problem.amount_empty': ['Montant vide.', 'Amount is empty.'],
  'problem.amount_not_positive': ['Le montant doit être supérieur à zéro.', 'The amount must be greater than zero.'],
  'problem.amount_has_decimals': ["Montant avec décimales : donnez-le en unités mineures (entier).", 'Amount with decimals: give it in minor units (an integer).'],
  'problem.amount_not_integer': ["Le montant n'est pas un nombre entier.", 'The amount is not a whole number.'],
  'problem.amount_too_large': ['Montant trop élevé.', 'Amount too large.'],
  'problem.amount_overflow': ['Total du fichier trop élevé.', 'File total too large.'],
  'problem.unknown_currency': ['Devise inconnue.', 'Unknown currency.'],
  'problem.identifier_empty': ['Identifiant du bénéficiaire vide.', 'Payee identifier is empty.'],
  'problem.identifier_invalid_msisdn': ['Numéro de téléphone invalide.', 'Invalid phone number.'],
  'problem.identifier_too_long': ['Identifiant du bénéficiaire trop long.', 'Payee identifier too long.'],
  'problem.identifier_invalid_chars': ['Caractères non permis dans l\'identifiant.', 'Characters not allowed in the identifier.'],
  'problem.unknown_party_id_type': ["Type d'identifiant inconnu.", 'Unknown identifier type.'],
  'err.internal_error': ['Erreur interne du serveur.', 'Internal server error.'],
};

let lang = LANGS.includes(localStorage.getItem(LANG_KEY)) ? localStorage.getItem(LANG_KEY) : 'fr';

/** The current language code (`fr` or `en`). */
export function currentLang() {
  return lang;
}

/** The Intl locale of the current language. */
export function locale() {
  return LOCALES[lang];
}

/** Switches language, remembers it and updates `<html lang>`. */
export function setLang(next) {
  lang = LANGS.includes(next) ? next : 'fr';
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang;
  document.title = t('app.title');
}

/** Whether the dictionary knows `key`. */
export function has(key) {
  return Object.prototype.hasOwnProperty.call(D, key);
}

/** The label of `key` in the current language, `{name}` placeholders filled from `vars`. */
export function t(key, vars) {
  const entry = D[key];
  const text = entry ? entry[lang === 'en' ? 1 : 0] : key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (vars && typeof vars === 'object' && name in vars ? String(vars[name]) : ''));
}

/** Translated value of an enumeration (`state`, `status`, `role`, `result`, `grade`), raw if unknown. */
export function label(kind, value) {
  return has(`${kind}.${value}`) ? t(`${kind}.${value}`) : String(value ?? '—');
}

/** Every run state, in lifecycle order (for filters). */
export const RUN_STATES = ['VERIFYING', 'AWAITING_APPROVAL', 'SCHEDULED', 'PENDING', 'PROCESSING',
  'COMPLETED', 'PARTIALLY_COMPLETED', 'FAILED', 'REJECTED', 'CANCELLED'];
/** Every row status. */
export const TRANSFER_STATUSES = ['PENDING', 'PROCESSING', 'UNKNOWN', 'COMPLETED', 'FAILED',
  'CANCELLED', 'EXCLUDED'];
/** Lookup results and name grades of the verification report. */
export const RESULTS = ['FOUND', 'NOT_FOUND', 'ERROR'];
export const GRADES = ['MATCH', 'PARTIAL', 'MISMATCH', 'NO_NAME_IN_FILE', 'NO_NAME_AT_SWITCH'];

setLang(lang);
