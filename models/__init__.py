"""Casebot's Slack-free core: the records of a case and everything a case may do."""

from models.agency import CaseAgency
from models.assessment import Assessment, AssessmentRating
from models.audit import AuditLog, CaseEvent
from models.base import Base
from models.board import TeamBoardPost
from models.case import Case, CaseAccessGrant, CaseCodeCounter, CaseWorker
from models.client import Client, Guardian, HouseholdMember
from models.closure import AfterCareCheck, Closure, GoalAttainmentRecord
from models.conference import (
    ActionItem,
    AgendaRequest,
    CaseConference,
    ConferenceCase,
    ConferenceParticipant,
)
from models.consent import Consent
from models.contact import ContactNote
from models.handover import AfterCareHandover
from models.household import Household, HouseholdCase, HouseholdNeed, HouseholdPerson
from models.idempotency import ProcessedRequest
from models.mandatory_report import MandatoryReport
from models.message_ref import MessageRef
from models.plan import PlanGoal, PlanReview, PlanTask, ServicePlan
from models.print_link import PrintLink
from models.referral import Referral, UnmetNeed
from models.reminder import Reminder
from models.resource import Resource
from models.retention import PurgeAuthorization, RetentionStatistic
from models.service_delivery import ServiceDelivery
from models.staff import StaffMember, Team
from models.supervision import SupervisionCase, SupervisionFollowUp, SupervisionSession

__all__ = [
    "ActionItem",
    "AfterCareCheck",
    "AfterCareHandover",
    "AgendaRequest",
    "Assessment",
    "AssessmentRating",
    "AuditLog",
    "Base",
    "Case",
    "CaseAccessGrant",
    "CaseAgency",
    "CaseCodeCounter",
    "CaseConference",
    "CaseEvent",
    "CaseWorker",
    "Client",
    "Closure",
    "ConferenceCase",
    "ConferenceParticipant",
    "Consent",
    "ContactNote",
    "GoalAttainmentRecord",
    "Guardian",
    "Household",
    "HouseholdCase",
    "HouseholdMember",
    "HouseholdNeed",
    "HouseholdPerson",
    "MandatoryReport",
    "MessageRef",
    "PlanGoal",
    "PlanReview",
    "PlanTask",
    "PrintLink",
    "ProcessedRequest",
    "PurgeAuthorization",
    "Referral",
    "Reminder",
    "Resource",
    "RetentionStatistic",
    "ServiceDelivery",
    "ServicePlan",
    "StaffMember",
    "SupervisionCase",
    "SupervisionFollowUp",
    "SupervisionSession",
    "Team",
    "TeamBoardPost",
    "UnmetNeed",
]
