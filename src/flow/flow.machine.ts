import { and, assign, not, EventObject, fromCallback, fromPromise, sendTo, setup } from 'xstate';
import type { FlowOutcome } from '../callbacks/callback.port';
import { callbackBackoffMs, callbackMayRetry } from '../callbacks/callback.port';
import { FailureReason, messageOf, reasonOf, VisionError } from '../common/errors';
import type { FaceObservation } from '../face/face-observation';
import { addChallenge, allPassed, analysedTooSlowly, currentPassed, failCurrent, isStarted, startLiveness } from '../liveness/liveness';
import type { MatchResult } from '../matcher/matcher.port';
import {
  addScore,
  closeOpenWindow,
  EMPTY_PAD_TRACE,
  markSteppedUp,
  padFailsAtVerdict,
  padFailsNow,
  padNeedsStepUp,
  padUndecided,
} from '../pad/pad-policy';
import { padView } from '../pad/pad-view';
import type {
  FetchReferencesInput,
  FlowContext,
  FlowEvent,
  FlowFailure,
  FlowInput,
  FlowLogLine,
  FlowTag,
  MatchFacesInput,
  RoomCommand,
  RoomInput,
  ScreenPhase,
  SendCallbackInput,
  WatchFaceInput,
} from './flow.types';

/** Consecutive analysis errors after which the face engine counts as broken for this flow. */
export const ANALYSIS_ERROR_BUDGET = 10;

/** The outcome the controller is told, from the flow's verdict (no verdict is never a success). */
export function outcomeOf(context: FlowContext): FlowOutcome {
  return {
    status: context.verdict === 'success' ? 'success' : 'failure',
    reason: context.failure?.reason,
    challenges: context.liveness.challenges.map((c) => ({ id: c.id, passed: c.status === 'passed' })),
    match: context.match ? { distance: context.match.distance, threshold: context.match.threshold } : undefined,
    pad: padView(context) ?? undefined,
  };
}

/** Stands in for what `flowImplementations(deps)` provides: the machine alone knows only the types. */
function notProvided(name: string): never {
  throw new Error(`${name} is not provided: use flowMachine.provide(flowImplementations(deps))`);
}

/**
 * One verification: join the room, instruct, run the challenges, fetch references, match, then report
 * exactly once and leave. Every ending that is not a match fails with a reason.
 *
 * Every decision is here; side effects are the named actors and the actions `observe`, `startNextChallenge`,
 * `startChallengeClock`, `show`, `log`, `saveDebugFrames` and `releaseBiometrics`, supplied by
 * `flowMachine.provide(flowImplementations(deps))`. Actors get their data through `input`; pixels stay in the
 * flow's FlowBiometrics, the context holds their counts.
 */
export const flowMachine = setup({
  types: {
    context: {} as FlowContext,
    events: {} as FlowEvent,
    input: {} as FlowInput,
    output: {} as FlowOutcome,
    tags: {} as FlowTag,
  },
  actors: {
    /** Joins the room for the whole flow; shows screens; leaves on LEAVE or when stopped. */
    room: fromCallback<RoomCommand, RoomInput, FlowEvent>(() => notProvided('room')),
    /** Analyses subject frames and keeps the best as live evidence; reports FACE_OBSERVED / FACE_ANALYSIS_FAILED. */
    watchFace: fromCallback<EventObject, WatchFaceInput, FlowEvent>(() => notProvided('watchFace')),
    /** Fetches the usable references into the biometric store; their count. */
    fetchReferences: fromPromise<number, FetchReferencesInput>(() => notProvided('fetchReferences')),
    /** Compares the stored live frames with the stored references. */
    matchFaces: fromPromise<MatchResult, MatchFacesInput>(() => notProvided('matchFaces')),
    /** One attempt of the terminal callback. */
    sendCallback: fromPromise<void, SendCallbackInput>(() => notProvided('sendCallback')),
  },
  delays: {
    flowTimeout: ({ context }) => context.settings.flowTimeoutMs,
    // From the start: covers the join itself (the transport has no timer of its own) and the subject's video.
    joinTimeout: ({ context }) => context.settings.joinTimeoutMs,
    instruction: ({ context }) => context.settings.instructionMs,
    // Backstop of waitingForFace: the liveness runtime itself fails face_lost FACE_LOST_S after the last face seen
    // (frame timestamps, so slow analysis under load does not count against the subject); this catches no frame
    // analysed at all, or faces never steady, and allows a challenge's time on top.
    faceLost: ({ context }) => context.settings.liveness.faceLostMs + context.settings.challengeTimeoutMs,
    challengeTimeout: ({ context }) => context.settings.challengeTimeoutMs,
    callbackBackoff: ({ context }) => callbackBackoffMs(context.settings.callbackBackoffMs, context.callbackAttempts),
    resultDisplay: ({ context }) => context.settings.resultDisplayMs,
    // The only bound on leaving: the connection waits for the room as long as this state lets it.
    leaveTimeout: ({ context }) => context.settings.leaveTimeoutMs,
  },
  guards: {
    challengeStarted: ({ context }) => isStarted(context.liveness),
    livenessFailed: ({ context }) => context.liveness.failure !== undefined,
    challengePassed: ({ context }) => currentPassed(context.liveness),
    analysisTooSlow: ({ context }) => analysedTooSlowly(context.liveness, context.settings.challengeTimeoutMs, context.settings.liveness),
    // This error is the last one the budget allows in a row.
    analysisErrorBudgetSpent: ({ context }) => context.analysisErrors + 1 >= ANALYSIS_ERROR_BUDGET,
    allChallengesPassed: ({ context }) => allPassed(context.liveness),
    noUsableReference: ({ context }) => context.referenceCount === 0,
    noLiveEvidence: ({ context }) => context.evidenceCount === 0,
    // The 2060 service leaves the room right after liveness: from then on the verdict needs no subject.
    livenessDoneWithEvidence: ({ context }) => allPassed(context.liveness) && context.evidenceCount > 0,
    facesMatch: ({ context }) => context.match?.match === true,
    matcherMayRetry: ({ context }) =>
      context.matcherError?.reason === 'matcher_unavailable' && context.matcherAttempts < context.settings.matcherAttempts,
    callbackMayRetry: ({ context }, params: { error: unknown }) =>
      callbackMayRetry(params.error, context.callbackAttempts, context.settings.callbackMaxAttempts),
    roomGone: ({ context }) => context.roomGone,
    // Passive presentation-attack policy (docs/pad.md): pure decisions on the PadTrace.
    padFailsNow: ({ context }) => padFailsNow(context.pad, context.settings.pad.policy),
    padNeedsStepUp: ({ context }) => padNeedsStepUp(context.pad, context.settings.pad.policy),
    padFailsAtVerdict: ({ context }) => padFailsAtVerdict(context.pad, context.settings.pad.policy),
    padUndecided: ({ context }) => padUndecided(context.pad, context.settings.pad.policy),
  },
  actions: {
    // The verdict: the only actions that set it, and every transition into `finishing` runs one of them.
    succeed: assign({ verdict: 'success' as const }),
    fail: assign((_, params: FlowFailure) => ({ verdict: 'failure' as const, failure: params })),
    failWithError: assign((_, params: { error: unknown }) => ({
      verdict: 'failure' as const,
      failure: { reason: reasonOf(params.error), message: messageOf(params.error) },
    })),
    // `finishing` is entered with a verdict or not at all: the crash net then reports internal_error.
    requireVerdict: ({ context }) => {
      if (!context.verdict) throw new VisionError('internal_error', 'the flow reached its end without a verdict');
    },
    markRoomJoined: assign({ roomJoined: true }),
    markRoomGone: assign({ roomGone: true }),
    countAnalysedFrame: assign(({ context }, params: { evidenceCount: number }) => ({
      framesAnalysed: context.framesAnalysed + 1,
      analysisErrors: 0,
      evidenceCount: params.evidenceCount,
    })),
    countAnalysisError: assign(({ context }) => ({ analysisErrors: context.analysisErrors + 1 })),
    foldPadScore: assign(({ context }, params: { observation: FaceObservation }) => {
      const score = params.observation.padScore;
      if (score === undefined || context.settings.pad.policy === 'off') return {};
      return { pad: addScore(context.pad, { timestampMs: params.observation.timestampMs, score }, context.settings.pad.threshold) };
    }),
    // The challenges end: the window being filled counts if it has enough frames (frame time, like the windows).
    closePadWindow: assign(({ context }) => ({
      pad: closeOpenWindow(context.pad, context.settings.pad.threshold, context.liveness.lastFaceAtMs ?? 0),
    })),
    // The subject sees one more challenge like the others, never why.
    addStepUpChallenge: assign(({ context }) => ({
      liveness: addChallenge(context.liveness, context.stepUpChallengeId),
      pad: markSteppedUp(context.pad),
    })),
    failCurrentChallenge: assign(({ context }) => ({ liveness: failCurrent(context.liveness) })),
    keepReferenceCount: assign((_, params: { count: number }) => ({ referenceCount: params.count })),
    keepMatch: assign((_, params: { match: MatchResult }) => ({ match: params.match })),
    keepMatcherError: assign((_, params: { error: unknown }) => ({
      matcherError: { reason: reasonOf(params.error), message: messageOf(params.error) },
    })),
    countMatcherAttempt: assign(({ context }) => ({ matcherAttempts: context.matcherAttempts + 1, matcherError: undefined })),
    countCallbackAttempt: assign(({ context }) => ({ callbackAttempts: context.callbackAttempts + 1 })),
    markReported: assign({ reported: true }),
    // The liveness identity is a face descriptor (a biometric template); finished flows stay listed without it.
    forgetIdentity: assign({ liveness: ({ context }) => ({ ...context.liveness, identity: undefined }) }),
    leaveRoom: sendTo('room', { type: 'LEAVE' as const }),
    // Provided by flowImplementations: they need the plugins, locales, clock, store or log of the flow.
    /** Folds an observation into the liveness state (the challenge plugins). */
    observe: (_, _params: { observation: FaceObservation }) => notProvided('observe'),
    /** Starts the challenge after the one that passed. */
    startNextChallenge: () => notProvided('startNextChallenge'),
    /** Sets challengeEndsAtMs from the flow's clock. */
    startChallengeClock: () => notProvided('startChallengeClock'),
    /** Sends the screen of this phase, in the subject's language, to the room. */
    show: (_, _params: { phase: ScreenPhase }) => notProvided('show'),
    log: (_, _params: FlowLogLine) => notProvided('log'),
    saveDebugFrames: () => notProvided('saveDebugFrames'),
    /** Drops the live frames and references (FlowBiometrics.clear). */
    releaseBiometrics: () => notProvided('releaseBiometrics'),
  },
}).createMachine({
  id: 'flow',
  description: 'One verification of one subject in one room',
  context: ({ input }) => ({
    ...input,
    liveness: startLiveness(input.challengeIds),
    roomJoined: false,
    framesAnalysed: 0,
    analysisErrors: 0,
    evidenceCount: 0,
    pad: EMPTY_PAD_TRACE,
    referenceCount: 0,
    matcherAttempts: 0,
    callbackAttempts: 0,
    roomGone: false,
    reported: false,
  }),
  invoke: { id: 'room', src: 'room', input: ({ context }) => ({ flowId: context.flowId, wsUrl: context.request.wsUrl }) },
  initial: 'verifying',
  states: {
    verifying: {
      description: 'Until the verdict: any of these events ends it with a failure',
      after: {
        flowTimeout: {
          target: 'finishing',
          actions: { type: 'fail', params: { reason: 'flow_timeout', message: 'the flow took too long' } },
        },
      },
      on: {
        SUBJECT_LEFT: [
          {
            guard: 'livenessDoneWithEvidence',
            actions: [
              'markRoomGone',
              { type: 'log', params: { level: 'log', message: 'the subject left after the last challenge; going on to the verdict' } },
            ],
          },
          {
            target: 'finishing',
            actions: ['markRoomGone', { type: 'fail', params: { reason: 'subject_left', message: 'the subject left the room' } }],
          },
        ],
        TRANSPORT_FAILED: {
          target: 'finishing',
          actions: ['markRoomGone', { type: 'fail', params: ({ event }) => ({ reason: 'transport_failed', message: event.message }) }],
        },
        CANCEL: {
          target: 'finishing',
          actions: { type: 'fail', params: { reason: 'cancelled', message: 'cancelled by the controller' } },
        },
        SHUTDOWN: {
          target: 'finishing',
          actions: { type: 'fail', params: { reason: 'service_shutdown', message: 'the service is shutting down' } },
        },
      },
      initial: 'joining',
      states: {
        joining: {
          description: 'Joining the room and waiting for the subject video, within one deadline',
          tags: 'join',
          entry: { type: 'show', params: { phase: 'waiting' } },
          after: {
            joinTimeout: {
              target: '#flow.finishing',
              actions: {
                type: 'fail',
                params: ({ context }) => ({
                  reason: 'no_subject_video',
                  message: context.roomJoined
                    ? 'no subject video before the join timeout'
                    : 'the room was not joined before the join timeout',
                }),
              },
            },
          },
          on: { JOINED: { actions: 'markRoomJoined' }, SUBJECT_VIDEO_STARTED: 'instructing' },
        },
        instructing: {
          description: 'Tells the subject what is going to happen',
          tags: 'join',
          entry: { type: 'show', params: { phase: 'instructing' } },
          after: { instruction: 'challenges' },
        },
        challenges: {
          description: 'The selected challenges, one after another, while the best frames are kept',
          tags: 'liveness',
          invoke: {
            id: 'watchFace',
            src: 'watchFace',
            input: ({ context }) => ({
              flowId: context.flowId,
              challengeIds: [...context.liveness.challenges.map((c) => c.id), context.stepUpChallengeId],
              padFps: context.settings.pad.policy === 'off' ? 0 : context.settings.pad.fps,
            }),
          },
          exit: 'closePadWindow',
          on: {
            FACE_OBSERVED: {
              actions: [
                { type: 'countAnalysedFrame', params: ({ event }) => ({ evidenceCount: event.evidenceCount }) },
                { type: 'foldPadScore', params: ({ event }) => ({ observation: event.observation }) },
                { type: 'observe', params: ({ event }) => ({ observation: event.observation }) },
                // Once every challenge passed (awaitingPadEvidence) no countdown runs: "please wait".
                {
                  type: 'show',
                  params: ({ context }) => ({
                    phase: !allPassed(context.liveness) ? 'challenge' : context.evidenceCount === 0 ? 'look_at_camera' : 'processing',
                  }),
                },
              ],
            },
            FACE_ANALYSIS_FAILED: [
              {
                guard: 'analysisErrorBudgetSpent',
                target: '#flow.finishing',
                actions: {
                  type: 'fail',
                  params: ({ event }) => ({ reason: 'internal_error', message: `face engine failed: ${event.message}` }),
                },
              },
              {
                actions: [
                  'countAnalysisError',
                  { type: 'log', params: ({ event }) => ({ level: 'warn', message: `face analysis failed: ${event.message}` }) },
                ],
              },
            ],
          },
          always: [
            {
              guard: 'livenessFailed',
              target: '#flow.finishing',
              actions: [
                'failCurrentChallenge',
                {
                  type: 'fail',
                  params: ({ context }) => ({
                    reason: context.liveness.failure as FailureReason,
                    message: `liveness failed during challenge ${context.liveness.current + 1}`,
                  }),
                },
              ],
            },
            {
              guard: 'padFailsNow',
              target: '#flow.finishing',
              actions: {
                type: 'fail',
                params: { reason: 'presentation_attack', message: 'PAD (enforce): two consecutive windows below the threshold' },
              },
            },
          ],
          initial: 'waitingForFace',
          states: {
            waitingForFace: {
              description: 'Until one face is steady in the frame',
              always: { guard: 'challengeStarted', target: 'running' },
              after: {
                faceLost: {
                  target: '#flow.finishing',
                  actions: { type: 'fail', params: { reason: 'face_lost', message: 'no steady face before the first challenge' } },
                },
              },
            },
            running: {
              description: 'The current challenge, with its own timeout and the countdown drawn from it',
              entry: ['startChallengeClock', { type: 'show', params: { phase: 'challenge' } }],
              always: [
                // Before the last pass moves on: a suspect subject gets the extra challenge even then.
                {
                  guard: 'padNeedsStepUp',
                  actions: [
                    'addStepUpChallenge',
                    {
                      type: 'log',
                      params: { level: 'warn', message: 'PAD (stepup): two consecutive windows below the threshold; one more challenge' },
                    },
                  ],
                },
                { guard: and(['allChallengesPassed', 'padUndecided']), target: 'awaitingPadEvidence' },
                { guard: and(['allChallengesPassed', 'noLiveEvidence']), target: 'awaitingFrontalFace' },
                { guard: 'allChallengesPassed', target: '#flow.verifying.fetchingReferences' },
                { guard: 'challengePassed', target: 'running', reenter: true, actions: 'startNextChallenge' },
              ],
              after: {
                // Too few analysed frames: the service (or the video) was too slow; do not blame the subject.
                challengeTimeout: [
                  {
                    guard: 'analysisTooSlow',
                    target: '#flow.finishing',
                    actions: [
                      'failCurrentChallenge',
                      {
                        type: 'fail',
                        params: { reason: 'analysis_too_slow', message: 'too few frames were analysed during the challenge' },
                      },
                    ],
                  },
                  {
                    target: '#flow.finishing',
                    actions: [
                      'failCurrentChallenge',
                      { type: 'fail', params: { reason: 'challenge_timeout', message: 'the challenge was not completed in time' } },
                    ],
                  },
                ],
              },
            },
            awaitingPadEvidence: {
              description: 'Every challenge passed; the passive check (stepup, enforce) needs two 2-s windows first',
              entry: { type: 'show', params: { phase: 'processing' } },
              always: [
                { guard: 'padNeedsStepUp', target: 'running', actions: ['addStepUpChallenge', 'startNextChallenge'] },
                { guard: and([not('padUndecided'), 'noLiveEvidence']), target: 'awaitingFrontalFace' },
                { guard: not('padUndecided'), target: '#flow.verifying.fetchingReferences' },
              ],
              after: {
                // Frames keep coming (the subject holds still): only a starved analysis leaves it undecided this long.
                challengeTimeout: {
                  target: '#flow.finishing',
                  actions: {
                    type: 'fail',
                    params: { reason: 'analysis_too_slow', message: 'too few frames were scored for the presentation-attack check' },
                  },
                },
              },
            },
            awaitingFrontalFace: {
              description:
                'Every challenge passed, but no frame was frontal, sharp and open-eyed enough to match: the subject is asked to look at the camera',
              entry: { type: 'show', params: { phase: 'look_at_camera' } },
              always: [
                { guard: 'padNeedsStepUp', target: 'running', actions: ['addStepUpChallenge', 'startNextChallenge'] },
                { guard: not('noLiveEvidence'), target: '#flow.verifying.fetchingReferences' },
              ],
              after: {
                challengeTimeout: {
                  target: '#flow.finishing',
                  actions: { type: 'fail', params: { reason: 'no_match', message: 'no frontal, sharp live frame was captured' } },
                },
              },
            },
          },
        },
        fetchingReferences: {
          description: 'GET /list/{token} and every image in it',
          tags: 'matching',
          entry: { type: 'show', params: { phase: 'processing' } },
          invoke: {
            src: 'fetchReferences',
            input: ({ context }) => ({
              flowId: context.flowId,
              token: context.request.token,
              callbackBaseUrl: context.request.callbackBaseUrl,
              datastoreBaseUrl: context.request.datastoreBaseUrl,
            }),
            onDone: {
              target: 'checkingEvidence',
              actions: { type: 'keepReferenceCount', params: ({ event }) => ({ count: event.output }) },
            },
            onError: { target: '#flow.finishing', actions: { type: 'failWithError', params: ({ event }) => ({ error: event.error }) } },
          },
        },
        checkingEvidence: {
          description: 'Both sides of the comparison must exist',
          tags: 'matching',
          always: [
            {
              guard: 'noUsableReference',
              target: '#flow.finishing',
              actions: { type: 'fail', params: { reason: 'no_reference', message: 'no usable reference image' } },
            },
            {
              guard: 'noLiveEvidence',
              target: '#flow.finishing',
              actions: { type: 'fail', params: { reason: 'no_match', message: 'no frontal, sharp live frame was captured' } },
            },
            { target: 'matching' },
          ],
        },
        matching: {
          description: 'Compares the best live frames with the references',
          tags: 'matching',
          entry: 'countMatcherAttempt',
          invoke: {
            src: 'matchFaces',
            input: ({ context }) => ({ flowId: context.flowId }),
            onDone: { target: 'judging', actions: { type: 'keepMatch', params: ({ event }) => ({ match: event.output }) } },
            onError: { target: 'matcherFailed', actions: { type: 'keepMatcherError', params: ({ event }) => ({ error: event.error }) } },
          },
        },
        matcherFailed: {
          description: 'An unreachable matcher gets one more try',
          tags: 'matching',
          always: [
            { guard: 'matcherMayRetry', target: 'matching' },
            { target: '#flow.finishing', actions: { type: 'fail', params: ({ context }) => context.matcherError! } },
          ],
        },
        judging: {
          tags: 'matching',
          always: [
            {
              guard: 'padFailsAtVerdict',
              target: '#flow.finishing',
              actions: {
                type: 'fail',
                params: { reason: 'presentation_attack', message: 'PAD: the latest windows are below the threshold' },
              },
            },
            { guard: 'facesMatch', target: '#flow.finishing', actions: 'succeed' },
            {
              target: '#flow.finishing',
              actions: {
                type: 'fail',
                params: ({ context }) => ({
                  reason: 'no_match',
                  message: `distance ${context.match?.distance.toFixed(3)} over ${context.match?.threshold}`,
                }),
              },
            },
          ],
        },
      },
    },
    finishing: {
      description: 'The verdict is final: report it once and leave the room, side by side',
      type: 'parallel',
      tags: 'callback',
      entry: [
        'requireVerdict',
        {
          type: 'log',
          params: ({ context }) =>
            context.failure
              ? { level: 'warn', message: `verdict: failure (${context.failure.reason}): ${context.failure.message}` }
              : { level: 'log', message: `verdict: success (distance ${context.match?.distance.toFixed(3)})` },
        },
        'saveDebugFrames',
        'releaseBiometrics',
        'forgetIdentity',
      ],
      states: {
        reporting: {
          initial: 'sending',
          states: {
            sending: {
              entry: 'countCallbackAttempt',
              invoke: {
                src: 'sendCallback',
                input: ({ context }) => ({
                  target: { flowId: context.flowId, token: context.request.token, callbackBaseUrl: context.request.callbackBaseUrl },
                  outcome: outcomeOf(context),
                  attempt: context.callbackAttempts,
                }),
                onDone: { target: 'reported', actions: 'markReported' },
                onError: [
                  {
                    guard: { type: 'callbackMayRetry', params: ({ event }) => ({ error: event.error }) },
                    target: 'waitingToRetry',
                    actions: {
                      type: 'log',
                      params: ({ context, event }) => ({
                        level: 'warn',
                        message: `callback attempt ${context.callbackAttempts} failed: ${messageOf(event.error)}`,
                      }),
                    },
                  },
                  {
                    target: 'gaveUp',
                    actions: [
                      {
                        type: 'log',
                        params: ({ context, event }) => ({
                          level: 'warn',
                          message: `callback attempt ${context.callbackAttempts} failed: ${messageOf(event.error)}`,
                        }),
                      },
                      {
                        type: 'log',
                        params: ({ context }) => ({
                          level: 'error',
                          message: `callback not delivered after ${context.callbackAttempts} attempts; the controller was not told`,
                        }),
                      },
                    ],
                  },
                ],
              },
            },
            waitingToRetry: { after: { callbackBackoff: 'sending' } },
            reported: { type: 'final' },
            gaveUp: { type: 'final' },
          },
        },
        leaving: {
          initial: 'showingVerdict',
          states: {
            showingVerdict: {
              entry: { type: 'show', params: ({ context }) => ({ phase: context.verdict === 'success' ? 'verified' : 'not_verified' }) },
              always: { guard: 'roomGone', target: 'closing' },
              on: { SUBJECT_LEFT: 'closing', TRANSPORT_FAILED: 'closing' },
              after: { resultDisplay: 'closing' },
            },
            closing: {
              entry: 'leaveRoom',
              on: { LEFT: 'left' },
              after: {
                leaveTimeout: {
                  target: 'left',
                  actions: {
                    type: 'log',
                    params: ({ context }) => ({
                      level: 'warn',
                      message: `the room did not confirm leaving within ${context.settings.leaveTimeoutMs / 1000} s; going on`,
                    }),
                  },
                },
              },
            },
            left: { type: 'final' },
          },
        },
      },
      onDone: 'done',
    },
    done: { type: 'final' },
  },
  output: ({ context }) => outcomeOf(context),
});

/** The machine type, for tests and the flow. */
export type FlowMachine = typeof flowMachine;
